# gunicorn settings for planner behind Caddy (deploy/Caddyfile). Read by
#   gunicorn -c deploy/gunicorn.conf.py wsgi:app
# from the checkout (deploy/planner.service runs exactly that).
import multiprocessing
import os

# Only Caddy talks to gunicorn: listen on loopback, never on a public address.
bind = os.environ.get("PLANNER_BIND", "127.0.0.1:8000")

# Processes x threads. A worker holds the app and a database pool; the threads overlap
# the waits (database, password hashing). 2 workers per core is a good start; on SQLite
# more workers only queue on its one write lock (move to PostgreSQL first, README).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("PLANNER_THREADS", "4"))
worker_class = "gthread"

# Each worker builds its own app (no preload): no database connection is ever shared
# across a fork. `systemctl reload planner` (HUP) then picks up new code too.
preload_app = False

# A request that takes longer is killed and logged (the slowest page, a year's export
# of 2,000 reps, takes a few seconds); a stop waits this long for requests in flight.
timeout = 60
graceful_timeout = 30
keepalive = 5

# Recycle a worker now and then (spread out), which bounds any slow memory growth.
max_requests = 2000
max_requests_jitter = 200

# Logs to stdout/stderr: systemd's journal keeps them (journalctl -u planner).
accesslog = "-"
errorlog = "-"
# The client's own address as Caddy forwarded it (the app trusts it with TRUSTED_PROXIES=1).
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'
