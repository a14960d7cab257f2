/*
 * The command table: ARCA_CMD(name, summary, flags, kind). One row and one
 * cmd_<name>.c per command; ARCA_SUBCMD(group, name, ...) is the command
 * "arca group name" in cmd_<group>_<name>.c. Flags make the dispatcher open the repository
 * and take its lock first (git's RUN_SETUP). kind: "porcelain" output is
 * for people, "plumbing" output (cat) is a stable contract.
 */
ARCA_CMD(init, "create a repository", 0, porcelain)
ARCA_CMD(snapshot, "record a directory, file or archive as a snapshot", CMD_REPO | CMD_LOCK_SHARED, porcelain)
ARCA_CMD(snapshots, "list snapshots", CMD_REPO | CMD_LOCK_SHARED, porcelain)
ARCA_CMD(ls, "list the entries of a snapshot", CMD_REPO | CMD_LOCK_SHARED, porcelain)
ARCA_CMD(cat, "write an object's content to stdout", CMD_REPO | CMD_LOCK_SHARED, plumbing)
ARCA_CMD(diff, "show what changed between two snapshots", CMD_REPO | CMD_LOCK_SHARED, porcelain)
ARCA_CMD(restore, "restore a snapshot to a directory or a tar stream", CMD_REPO | CMD_LOCK_SHARED, porcelain)
ARCA_CMD(verify, "check every object and reference of the repository", CMD_REPO | CMD_LOCK_SHARED, porcelain)
ARCA_SUBCMD(dataset, create, "create a schema-first dataset", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, schema, "record a new schema version of a dataset", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, add, "add data as the next immutable version of a dataset", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, ls, "list datasets", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, show, "show a dataset, its schema and tags", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, versions, "list the versions of a dataset", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, log, "show the history of a dataset", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, diff, "compare two versions: schema changes and drift", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, tag, "point a tag at a version", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, ack, "acknowledge the drift of a version", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, porcelain)
ARCA_SUBCMD(dataset, resolve, "resolve a dataset reference to a version for use", CMD_REPO | CMD_LOCK_SHARED | CMD_CATALOG, plumbing)
ARCA_SUBCMD(catalog, rebuild, "recreate the catalog from the repository", CMD_REPO | CMD_LOCK_SHARED, porcelain)
ARCA_CMD(ingest, "ingest new data from drop folders, archives and URLs", CMD_REPO | CMD_LOCK_SHARED, porcelain)
