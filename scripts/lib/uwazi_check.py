"""An independent reader of an Uwazi export folder (registry export --format uwazi), written from
Uwazi's documented CSV-import rules (docs.uwazi.io, "CSV import"; the thesaurus import as its
own source and tests describe it), not from our writer:

- UTF-8, comma-separated, a header row; quoted fields keep commas, quotes and line breaks;
- every row has a title; a property may not appear both with and without a language suffix
  (`name__xx`), and every suffix is a language of the collection (es, en here);
- a select value is the exact label of a value of the property's thesaurus (the template says
  which), `Parent::Child` for a grouped one; several values are separated by `|`;
- a date range is `start:end`, each an ISO date (or empty);
- a thesaurus CSV's header names each column by Uwazi's label for its language ("Spanish",
  "English"); a value that starts with "-" (after spaces) is the child of the row above, and Uwazi
  trims labels and drops "N/A" and "null", so a label must be neither nor padded;
and the export's own promise: every published count is 0, at least k, "<k" or "x".

Usage: uwazi_check.py FOLDER K   → prints "ok N entities" or the first broken rule, exit 1.
"""
import csv, datetime, json, os, re, sys

LANGUAGES = {"es", "en"}


def fail(why):
    print("uwazi check: " + why)
    sys.exit(1)


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=","))
    if not rows:
        fail(f"{path}: empty")
    return rows[0], rows[1:]


def iso(day):
    try:
        datetime.date.fromisoformat(day)
        return True
    except ValueError:
        return False


def main(folder, k):
    template = json.load(open(os.path.join(folder, "plantilla.json"), encoding="utf-8"))
    props = {p["name"]: p for p in template["properties"]}
    thesauri = {}
    for name in os.listdir(os.path.join(folder, "tesauros")):
        header, rows = read_csv(os.path.join(folder, "tesauros", name))
        if header != ["Spanish", "English"]:
            fail(f"thesaurus {name}: the header is {header}, not Uwazi's labels of the collection's languages")
        labels = set()
        for r in rows:
            if len(r) != 2 or not r[0] or not r[1]:
                fail(f"thesaurus {name}: a value without both labels: {r}")
            for label in r:
                if label != label.strip() or label.lstrip().startswith("-") or label.strip().lower() in ("n/a", "null"):
                    fail(f"thesaurus {name}: Uwazi would change or nest the label {label!r}")
            labels.add(r[0])
        thesauri[name[:-4]] = labels
    header, rows = read_csv(os.path.join(folder, "entidades.csv"))
    bare = {h for h in header if "__" not in h}
    for h in header:
        if "__" in h:
            base, lang = h.split("__", 1)
            if lang not in LANGUAGES:
                fail(f"column {h}: {lang} is not a language of the collection")
            if base in bare:
                fail(f"column {base} appears with and without a language suffix")
        elif h != "title" and h not in props:
            fail(f"column {h} is no property of the template")
    titles = [h for h in header if h == "title" or h.startswith("title__")]
    if not titles:
        fail("no title column")
    small = re.compile(r"^<(\d+)$")
    for n, row in enumerate(rows, start=2):
        if len(row) != len(header):
            fail(f"row {n}: {len(row)} fields for {len(header)} columns")
        cell = dict(zip(header, row))
        if not any(cell[t] for t in titles):
            fail(f"row {n}: no title")
        for h, value in cell.items():
            name = h.split("__", 1)[0]
            prop = props.get(name)
            if prop is None or value == "":
                continue
            if prop["type"] == "select":
                for v in value.split("|"):
                    label = v.split("::")[-1]
                    if label not in thesauri.get(prop["thesaurus"], set()):
                        fail(f"row {n}: {h} = {v!r} is not a value of thesaurus {prop['thesaurus']}")
            if name.endswith("iso_3166_2") and not re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", value):
                fail(f"row {n}: {h} = {value!r} is not an ISO 3166-2 code")
            if prop["type"] == "daterange":
                for part in value.split("|"):
                    start, _, end = part.partition(":")
                    if not all(d == "" or iso(d) for d in (start, end)):
                        fail(f"row {n}: {h} = {value!r} is not start:end with ISO dates")
        count = cell.get("recuento", "")
        m = small.match(count)
        if count == "x" or count == "0" or (m and int(m.group(1)) >= k):
            continue
        if count.isdigit() and int(count) >= k:
            continue
        fail(f"row {n}: count {count!r} is below {k}")
    print(f"ok {len(rows)} entities, {len(thesauri)} thesauri")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
