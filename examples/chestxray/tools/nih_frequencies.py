"""Label frequencies of the NIH ChestX-ray14 data set, used to draw realistic demo labels.

Source: `Data_Entry_2017_v2020.csv` of NIH ChestX-ray14 (112,120 frontal radiographs, column
`Finding Labels`), counted from the copy shipped inside the torchxrayvision 1.5.7 wheel at
`torchxrayvision/data/Data_Entry_2017_v2020.csv.gz`. Nothing here depends on torchxrayvision;
to recount from a copy of that file run:

    python3 nih_frequencies.py Data_Entry_2017_v2020.csv.gz
"""

from __future__ import annotations

TOTAL_IMAGES = 112120

# tutorial label (parameters.yaml `labels_list` order), NIH name,
# images carrying the label (any combination), images whose only finding is this label
LABEL_TABLE = (
    ("atelectasis", "Atelectasis", 11559, 4215),
    ("cardiomegaly", "Cardiomegaly", 2776, 1093),
    ("effusion", "Effusion", 13317, 3955),
    ("infiltration", "Infiltration", 19894, 9547),
    ("mass", "Mass", 5782, 2139),
    ("nodule", "Nodule", 6331, 2705),
    ("pneumonia", "Pneumonia", 1431, 322),
    ("pneumothorax", "Pneumothorax", 5302, 2194),
    ("consolidation", "Consolidation", 4667, 1310),
    ("edema", "Edema", 2303, 628),
    ("emphysema", "Emphysema", 2516, 892),
    ("fibrosis", "Fibrosis", 1686, 727),
    ("pleural", "Pleural_Thickening", 3385, 1126),
    ("hernia", "Hernia", 227, 110),
)

# number of findings per image -> number of images (0 = "No Finding")
FINDINGS_PER_IMAGE = {0: 60361, 1: 30963, 2: 14306, 3: 4856, 4: 1247, 5: 301, 6: 67, 7: 16, 8: 1, 9: 2}

LABELS = tuple(row[0] for row in LABEL_TABLE)
NIH_NAMES = {row[0]: row[1] for row in LABEL_TABLE}


def count(csv_gz_path):
    """Recount the table above from a copy of Data_Entry_2017_v2020.csv(.gz)."""
    import collections
    import csv
    import gzip

    opener = gzip.open if str(csv_gz_path).endswith(".gz") else open
    marginal, single, per_image = collections.Counter(), collections.Counter(), collections.Counter()
    with opener(csv_gz_path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            found = [x for x in row["Finding Labels"].split("|") if x != "No Finding"]
            per_image[len(found)] += 1
            marginal.update(found)
            if len(found) == 1:
                single[found[0]] += 1
    return marginal, single, per_image


if __name__ == "__main__":
    import sys

    marginal, single, per_image = count(sys.argv[1])
    print(f"TOTAL_IMAGES = {sum(per_image.values())}")
    for label, nih, _, _ in LABEL_TABLE:
        print(f'    ("{label}", "{nih}", {marginal[nih]}, {single[nih]}),')
    print("FINDINGS_PER_IMAGE =", dict(sorted(per_image.items())))
