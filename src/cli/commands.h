/*
 * The command table: ARCA_CMD(name, summary, flags, kind). One row and one
 * cmd_<name>.c per command. Flags make the dispatcher open the repository
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
