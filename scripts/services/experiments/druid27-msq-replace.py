# Experiment, not part of up.sh: native vs SQL-based (MSQ) ingestion timings on a Druid 27.0.0 + MSQ 27.0.0
# cluster assembled by hand (see docs/SERVICES.md, "SQL-based ingestion"), reading local files (no S3 extension
# works on 27 with the artifacts served here). Paths under /tmp/t are those of that run. Usage: python3 druid27-msq-replace.py TAG
import json, time, sys
sys.argv = ["x", "r"]
exec(open("/tmp/t/cmp.py").read().split("tag = sys.argv[1]")[0])
ds = "m_small_b"
day2 = "/tmp/t/data27/day2.jsonl"
with open(day2, "w") as f:
    for i in range(100):
        f.write(json.dumps({"__time": f"2026-01-02T00:{i//60:02d}:{i%60:02d}.000Z", "region": "north", "product": "fig", "store": "s1", "quantity": 1, "price": 1.5, "__task_id": "replace-1"}) + "\n")
ext = json.dumps({"type": "local", "files": [day2]})
fmt = json.dumps({"type": "json", "flattenSpec": {"useFieldDiscovery": True, "fields": [{"type": "path", "name": "ts", "expr": "$.__time"}]}})
sig = json.dumps([{"name": "ts", "type": "string"}, {"name": "region", "type": "string"}, {"name": "product", "type": "string"}, {"name": "store", "type": "string"}, {"name": "quantity", "type": "long"}, {"name": "price", "type": "double"}, {"name": "__task_id", "type": "string"}])
q = (f'REPLACE INTO "{ds}" OVERWRITE WHERE __time >= TIMESTAMP \'2026-01-02\' AND __time < TIMESTAMP \'2026-01-03\' '
     f'SELECT TIME_PARSE(ts) AS __time, region, product, store, __task_id, quantity, price '
     f"FROM TABLE(EXTERN('{ext}', '{fmt}', '{sig}')) PARTITIONED BY DAY")
body = {"query": q, "context": {"maxParseExceptions": 0, "maxNumTasks": 2}}
print(json.dumps(body))
t0 = time.time(); s, t = call("POST", "/druid/v2/sql/task", body); print(s, t)
tid = json.loads(t)["taskId"]
while True:
    s, t = call("GET", f"/druid/indexer/v1/task/{tid}/status"); st = json.loads(t)["status"]
    if st["statusCode"] != "RUNNING": break
    time.sleep(0.5)
print(st["statusCode"], round(time.time() - t0, 1), st.get("errorMsg"))
for _ in range(120):
    r = sql(f'SELECT TIME_FLOOR(__time, \'P1D\') AS "day", __task_id, COUNT(*) AS n FROM "{ds}" GROUP BY 1, 2 ORDER BY 1')
    if any(x["__task_id"] == "replace-1" for x in r) and not any(x["day"].startswith("2026-01-02") and x["__task_id"] != "replace-1" for x in r): break
    time.sleep(0.5)
print(round(time.time() - t0, 1), r)
