"""Demo data: a fictional city with its units, staff accounts and two years of petition matters.

* `city` — the city's divisions (imported through xinfang.org.importers from an in-memory CSV),
  units and one account per job;
* `content` — the Chinese text the generator writes besides the petitions themselves (those come
  from the project's example petitions, xinfang/intelligence/examples.py): replies, notes,
  petitioners (names, ID numbers with the fictional area codes, phone numbers);
* `generate` — creates matters and drives each one through the real write path
  (services.register_matter / services.perform) into every state of the workflow.

Everything here is invented. The city 青溪市 lies in 示范省, whose code prefix 99 belongs to no
real province, so no code, ID number or address can be mistaken for a real place.
Run it with `xinfang demo` (see xinfang/demo/management/commands/demo.py).
"""

DEFAULT_PASSWORD = "qingxi-demo-2025"  # documented in README/--help; passes the password validators
