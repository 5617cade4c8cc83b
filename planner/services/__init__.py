"""Use cases: gather inputs from the database, call the engine, write the results."""
