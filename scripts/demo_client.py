"""Sends the demo's requests to `mloop serve` (scripts/demo.sh): N records of a CSV file, one
per request, half as text/csv and half as application/json, on one keep-alive connection; prints
a few answers and how the requests split between the variants.

    demo_client.py HOST:PORT MODEL DATA.csv N
"""
import csv
import http.client
import json
import sys
from collections import Counter


def main():
    address, model, data, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    conn = http.client.HTTPConnection(address)
    # The model's inputs, in order, with their types, from its KServe V2 metadata.
    conn.request("GET", "/v2/models/" + model)
    meta = json.loads(conn.getresponse().read())["inputs"]
    inputs = [i["name"] for i in meta]
    parse = {"INT64": int, "FP64": float, "BOOL": lambda v: v.lower() == "true"}
    typed = {i["name"]: parse.get(i["datatype"], str) for i in meta}
    print("model inputs:", ", ".join(inputs))
    with open(data, newline="") as f:
        rows = [r for _, r in zip(range(n), csv.DictReader(f))]
    variants, statuses, shown = Counter(), Counter(), 0
    for k, row in enumerate(rows):
        if k % 2 == 0:
            body = ",".join(row[c] for c in inputs)
            headers = {"Content-Type": "text/csv"}
        else:
            record = {c: typed[c](row[c]) if row[c] != "" else None for c in inputs}
            body = json.dumps({"instances": [record]})
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
        conn.request("POST", "/invocations", body=body, headers=headers)
        resp = conn.getresponse()
        answer = resp.read().decode().strip()
        statuses[resp.status] += 1
        variants[resp.getheader("X-Amzn-Invoked-Production-Variant")] += 1
        if shown < 4:
            kind = headers["Content-Type"]
            print(f"  {kind:<17} {body[:60]}{'...' if len(body) > 60 else ''}")
            print(f"  -> {resp.status} variant {resp.getheader('X-Amzn-Invoked-Production-Variant')}"
                  f" ({resp.getheader('X-Mloop-Model-Version')}): {answer}")
            shown += 1
    print(f"{len(rows)} requests: status {dict(statuses)}; variants {dict(variants)}")
    return 0 if set(statuses) == {200} else 1


if __name__ == "__main__":
    sys.exit(main())
