"""example_service migrate: the adhoc task of the example service."""
print("nothing to migrate", flush=True)
