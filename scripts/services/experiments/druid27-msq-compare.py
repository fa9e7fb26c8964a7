# Experiment, not part of up.sh: native vs SQL-based (MSQ) ingestion timings on a Druid 27.0.0 + MSQ 27.0.0
# cluster assembled by hand (see docs/SERVICES.md, "SQL-based ingestion"), reading local files (no S3 extension
# works on 27 with the artifacts served here). Paths under /tmp/t are those of that run. Usage: python3 druid27-msq-compare.py TAG
import json, sys, time, urllib.request, urllib.error
R = "http://127.0.0.1:8888"
def call(method, path, body=None):
    req = urllib.request.Request(R + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r: return r.status, r.read().decode()
    except urllib.error.HTTPError as e: return e.code, e.read().decode()
def sql(q):
    s, t = call("POST", "/druid/v2/sql", {"query": q, "resultFormat": "object"})
    return json.loads(t) if s == 200 else []
def wait(tid, ds, n, t0):
    while True:
        s, t = call("GET", f"/druid/indexer/v1/task/{tid}/status")
        st = json.loads(t)["status"] if s == 200 else {}
        if st.get("statusCode") not in (None, "RUNNING"): break
        time.sleep(0.5)
    tt = time.time() - t0
    while True:
        s, t = call("GET", f"/druid/coordinator/v1/datasources/{ds}/loadstatus?forceMetadataRefresh=true&interval=2026-01-01/2026-01-04")
        if s == 200 and json.loads(t).get(ds) == 100: break
        time.sleep(0.5)
    tl = time.time() - t0
    while True:
        r = sql(f'SELECT COUNT(*) AS n, SUM(quantity) AS q, SUM(price) AS p FROM "{ds}"')
        if r and r[0]["n"] == n: break
        time.sleep(0.5)
    return st.get("statusCode"), round(tt, 1), round(tl, 1), round(time.time() - t0, 1), r[0]
def native(f, ds, n):
    spec = {"type": "index_parallel", "id": f"cmp-{ds}", "spec": {
        "dataSchema": {"dataSource": ds, "timestampSpec": {"column": "__time", "format": "iso"},
            "dimensionsSpec": {"dimensions": ["region", "product", "store", "__task_id"]},
            "metricsSpec": [{"type": "count", "name": "count"}, {"type": "longSum", "name": "quantity", "fieldName": "quantity"}, {"type": "doubleSum", "name": "price", "fieldName": "price"}],
            "granularitySpec": {"type": "uniform", "segmentGranularity": "DAY", "queryGranularity": "NONE", "rollup": False}},
        "ioConfig": {"type": "index_parallel", "inputSource": {"type": "local", "files": [f]}, "inputFormat": {"type": "json"}, "appendToExisting": True},
        "tuningConfig": {"type": "index_parallel", "maxParseExceptions": 0, "maxNumConcurrentSubTasks": 1}}}
    t0 = time.time(); s, t = call("POST", "/druid/indexer/v1/task", spec)
    return ("native", s, t) + wait(f"cmp-{ds}", ds, n, t0)
def msq(f, ds, n):
    ext = json.dumps({"type": "local", "files": [f]})
    sig = json.dumps([{"name": "ts", "type": "string"}, {"name": "region", "type": "string"}, {"name": "product", "type": "string"}, {"name": "store", "type": "string"}, {"name": "quantity", "type": "long"}, {"name": "price", "type": "double"}, {"name": "__task_id", "type": "string"}])
    fmt = json.dumps({"type": "json", "flattenSpec": {"useFieldDiscovery": True, "fields": [{"type": "path", "name": "ts", "expr": "$.__time"}]}})
    q = (f'INSERT INTO "{ds}" SELECT TIME_PARSE(ts) AS __time, region, product, store, __task_id, quantity, price '
         f"FROM TABLE(EXTERN('{ext}', '{fmt}', '{sig}')) PARTITIONED BY DAY")
    body = {"query": q, "context": {"maxParseExceptions": 0, "maxNumTasks": 2, "finalizeAggregations": True}}
    if len(sys.argv) > 2: print(json.dumps(body))
    t0 = time.time(); s, t = call("POST", "/druid/v2/sql/task", body)
    if s != 202 and s != 200: return ("msq", s, t)
    tid = json.loads(t)["taskId"]
    return ("msq", s, t) + wait(tid, ds, n, t0)
tag = sys.argv[1]
for kind, f, n in [("small", "/tmp/t/data27/sales-1k.jsonl", 1000), ("big", "/tmp/t/data27/sales-big.jsonl", 70000)]:
    print(native(f, f"n_{kind}_{tag}", n), flush=True)
    print(msq(f, f"m_{kind}_{tag}", n), flush=True)
