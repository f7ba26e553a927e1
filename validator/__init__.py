"""medcube: templates and a validator for MedPerf / MLCube benchmark containers ("cubes")."""

__version__ = "0.1.0"
VERSION = __version__  # the name other modules import
