#!/usr/bin/python3
"""Export the small real datasets bundled with scikit-learn as CSV files.

Run with Debian's interpreter (python3-sklearn is only visible to it):

    /usr/bin/python3 examples/data/export_sklearn.py

Writes breast_cancer.csv, iris.csv, wine.csv and diabetes.csv next to this
script. The datasets ship inside the scikit-learn package, so no network access
is needed. Output is deterministic: floats are written with repr() (shortest
round-trip form), integers as plain integers, '\n' line endings, no quoting
(no field contains a comma, quote or newline).
"""

import os
import re
import sys

from sklearn import datasets

OUT_DIR = os.path.dirname(os.path.abspath(__file__))


def snake_case(name):
    """'mean radius' -> 'mean_radius', 'sepal length (cm)' -> 'sepal_length_cm',
    'od280/od315_of_diluted_wines' -> 'od280_od315_of_diluted_wines'."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip().lower())
    return s.strip("_")


def fmt(value):
    """Format one cell: ints as ints, floats with repr, strings verbatim."""
    if isinstance(value, str):
        if any(c in value for c in ',"\n\r'):
            raise ValueError(f"field needs quoting: {value!r}")
        return value
    if isinstance(value, bool):
        raise TypeError("unexpected bool")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("non-finite value")
        return repr(value)
    raise TypeError(f"unexpected type {type(value)!r}")


def write_csv(filename, header, rows):
    """Write header + rows; returns (n_rows, n_cols)."""
    path = os.path.join(OUT_DIR, filename)
    if len(set(header)) != len(header):
        raise ValueError(f"duplicate column names in {filename}")
    lines = [",".join(header)]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"ragged row in {filename}")
        lines.append(",".join(fmt(v) for v in row))
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines) - 1, len(header)


def feature_rows(bunch):
    """Rows of Python floats for the feature matrix."""
    return [[float(x) for x in r] for r in bunch.data]


def export_classification(filename, loader, class_name_column=None):
    bunch = loader()
    header = [snake_case(n) for n in bunch.feature_names]
    rows = feature_rows(bunch)
    targets = [int(t) for t in bunch.target]
    if class_name_column:
        header.append(class_name_column)
        names = [str(n) for n in bunch.target_names]
        for row, t in zip(rows, targets):
            row.append(names[t])
    header.append("target")
    for row, t in zip(rows, targets):
        row.append(t)
    return write_csv(filename, header, rows)


def export_diabetes(filename):
    # scaled=False gives the original measurements (age in years, sex 1/2,
    # bmi, bp, s1..s6) instead of the mean-centred, scaled version.
    bunch = datasets.load_diabetes(scaled=False)
    header = [snake_case(n) for n in bunch.feature_names] + ["progression"]
    rows = feature_rows(bunch)
    for row, t in zip(rows, bunch.target):
        row.append(float(t))
    return write_csv(filename, header, rows)


def main():
    results = [
        ("breast_cancer.csv",
         export_classification("breast_cancer.csv", datasets.load_breast_cancer)),
        ("iris.csv", export_classification("iris.csv", datasets.load_iris, "species")),
        ("wine.csv", export_classification("wine.csv", datasets.load_wine)),
        ("diabetes.csv", export_diabetes("diabetes.csv")),
    ]
    for name, (n_rows, n_cols) in results:
        print(f"{name}: {n_rows} rows x {n_cols} columns", file=sys.stderr)


if __name__ == "__main__":
    main()
