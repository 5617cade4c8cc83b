"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""

import gc

from planner import create_app

app = create_app()

# Move everything the app holds once built (modules, mappers, metadata, routes: ~140,000
# objects) out of the cyclic garbage collector's reach. A big page (tracking, 2,000 reps)
# makes ~100,000 short-lived objects; without this, the collections they set off walk all
# of the app's objects again and again (a third of the page's time). The collector stays
# on for what requests make, in every thread; reference counting frees the rest.
gc.collect()
gc.freeze()
