"""Building images: a cube's image built with a content-hash cache, BuildKit through the docker CLI, else the SDK.

    build.py         docker build with a content-hash cache (BuildKit through the CLI, else the SDK); pulls
    buildkit.py      a build through the docker CLI with BuildKit
    sdkbuild.py      a build through the docker SDK's legacy builder
    context.py       a build context's files and content hash
    dockerignore.py  which paths of a build context `.dockerignore` leaves to be sent
    tag.py           the tag a cube's image has
    image_size.py    the sizes of built images, for the HTML report
"""
