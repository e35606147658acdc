// Package access is the functional core of identities and permissions:
// roles and what they allow, users and the records they may see, password
// hashes, bearer and session tokens, and the throttling of failed logins. It
// does no I/O: randomness comes in as an io.Reader and the time as a value,
// and the state it keeps (a Throttle) is owned by its caller.
//
// # Roles and permissions
//
// A user holds one or more roles; a role grants permissions; a user may do
// what any of their roles grants (Allowed). The table:
//
//	permission         admin  analyst  liaison  authority  secretariat  viewer  ingest
//	read_records         x       x        x         x           x          x
//	read_log             x       x        x         x           x          x       x
//	ingest_records       x       x                                                 x
//	manage_sensors       x
//	manage_terms         x
//	manage_users         x
//	verify                       x
//	determine                                       x
//	act_on_obligation                     x
//	manage_registry      x                                      x
//	manage_webhooks      x
//
// Two choices in it are deliberate. An administrator runs the platform
// (users, sensors, terms, loading data) but makes no findings: verify,
// determine and act_on_obligation are the judgements the guarantee rests
// on, and separating them from the power to create accounts means no single
// account can both invent a user and act as one. A person who needs both
// holds both roles, visibly. The ingest role, for machine clients, may add
// records and read the log's checkpoints and proofs (to check that its
// submissions were logged) but not read records, so a stolen sensor key
// discloses nothing.
//
// Permissions say what a user may do; CanSee says which records they may
// see, by clearance and nation, whatever their roles.
package access
