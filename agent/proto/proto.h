/* SPDX-License-Identifier: MIT */
/*
 * The agent's protocol: one JSON object per line, over the UNIX socket or the serial port
 * (docs/protocol.md). Pure: lines in, lines out; the socket and the serial port are the
 * daemon's (agent/daemon/server.c, serial.c) and the client's (agent/cli/client.c). proto.c,
 * for the daemon's reading of requests proto-request.c, and for `vrouterctl edit`
 * proto-edit.c are the only files of the daemon and of the client that know jansson;
 * everything else sees the C types below.
 *
 *   request  {"request": "apply"|"check"|"plan", "intent": {...}, "id": ...}
 *            {"request": "show"|"status"|"handover"|"handover-cancel"|"confirm", "id": ...}
 *            {"request": "status", "counters": true}
 *            {"request": "apply", "confirm": SECONDS, "intent": {...}}
 *            {"request": "history"}, {"request": "rollback"[, "generation": N]}
 *            {"request": "diff", "from": A[, "to": B | "intent": {...}]}  (proto-history.h)
 *   answer   {"exit": N, ...}  ("id" echoed when the request had one)
 *
 * Both sides use this file: the daemon parses requests and builds answers, vrouterctl builds
 * requests and parses answers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errlist.h"
#include "lib/strbuf.h"
#include "plan/op.h"

/* The longest request line (without its newline): a 16 MiB intent and its envelope. */
#define PROTO_LINE_MAX (17u << 20)
/* Ids are strings of at most this many bytes, or integers. */
#define PROTO_ID_MAX 128

/* The longest "confirm" of an apply: a day, in seconds. */
#define PROTO_CONFIRM_MAX 86400

/* Exit codes outside the spec's 0-4: a request the agent did not understand. */
#define PROTO_EXIT_BAD_REQUEST 64

enum proto_kind {
	PROTO_APPLY,
	PROTO_CHECK,
	PROTO_PLAN,
	PROTO_SHOW,
	PROTO_STATUS,
	PROTO_HANDOVER,	       /* the planned VRRP handover (run on the master) */
	PROTO_HANDOVER_CANCEL, /* the end of the hold as backup that a handover leaves */
	PROTO_HISTORY,	       /* the last apply attempts that reached the router */
	PROTO_DIFF,	       /* two generations, or one and an intent, compared */
	PROTO_ROLLBACK,	       /* an earlier generation's content applied as a new generation */
	PROTO_CONFIRM,	       /* the confirmation of an apply --confirm */
	_PROTO_KIND_MAX,
};

const char *proto_kind_to_string(enum proto_kind k);
int proto_kind_from_string(const char *s);
bool proto_kind_has_intent(enum proto_kind k);

/* ---- requests (daemon side) ---- */

/* An intent document as the agent received it: its JSON tree, opaque outside proto*.c (given
 * to intent_load_tree, compared, persisted). */
struct json_t;

/* The intent in effect as the request parser knows it: its text, its tree and where each
 * top-level member lies in the text (proto-request.c). */
struct proto_in_effect;
struct proto_index;

/* A copy of text, a reference to tree (the parse of text, or equal to it) and the index a
 * request read against the previous known intent brought (taken; NULL: made when needed).
 * NULL on ENOMEM (index released). */
struct proto_in_effect *proto_in_effect_new(const char *text, size_t len, struct json_t *tree,
					    struct proto_index *index);
struct proto_in_effect *proto_in_effect_free(struct proto_in_effect *k);
const char *proto_in_effect_text(const struct proto_in_effect *k, size_t *ret_len);
struct json_t *proto_in_effect_tree(const struct proto_in_effect *k);

struct proto_request {
	enum proto_kind kind;
	char *id; /* the request's id as JSON text (echoed in the answer), or NULL */
	/* apply, check, plan: the intent (a reference); NULL when `known`. */
	struct json_t *intent;
	/* The intent's text within the line, when it is the request's last member (as
	 * vrouterctl sends it), or NULL: what the agent remembers of an applied intent. */
	const char *raw;
	size_t raw_len;
	/* The intent's text is `known` byte for byte: the intent was not parsed. */
	bool known;
	/* The intent was read against the known one: the members whose text is the same are the
	 * known tree's values; this is the index of raw (for proto_in_effect_new), owned. */
	struct proto_index *index;
	/* apply: "confirm", the seconds within which a confirm request must come (0: none). */
	int64_t confirm_s;
	/* rollback: "generation" (0: the one before the generation in effect); diff: "from",
	 * and "to" (0: the intent sent, or else the generation in effect). */
	int64_t generation;
	int64_t from, to;
	/* status: "counters": true, the counters of the firewall's and NAT's rules too (by
	 * default only the links' traffic: a large ruleset's counters are a large answer). */
	bool counters;
};

/*
 * Parses one request line. 0, or -EINVAL with the reason in err (the answer's "error") and,
 * when the line was JSON with a valid id, that id in ret->id (so that the error answer
 * carries it); -ENOMEM. The request must be released with proto_request_done() either way.
 *
 * known (NULL: none): the last intent applied. in_effect: it is in effect, and a line whose
 * intent is its text byte for byte (the last member) is recognised without parsing the intent:
 * an orchestrator re-sending the same intent costs a comparison, not a parse. Otherwise an
 * intent sent last is read against known: only its top-level members whose text changed are
 * parsed.
 */
int proto_request_parse(const char *line, size_t len, struct proto_in_effect *known, bool in_effect,
			struct proto_request *ret, struct strbuf *err);
void proto_request_done(struct proto_request *r);
/* The size from which proto_request_parse reads a changed member member by member against the
 * known one (4096 bytes). For the request fuzzer, whose inputs are short; the agent keeps the
 * default. */
void proto_request_tune(size_t nested);

/*
 * A document read from a file (the persisted intent, the boot payload) as a request would
 * carry it. -EINVAL when it is not one JSON value within the limits (the caller then runs
 * intent_load on the text for the errors).
 */
int proto_document_load(const char *doc, size_t len, struct json_t **ret);
/* Same content: equal values, whatever the whitespace, the order of object members or the
 * escapes of strings; a reordered array (rules!) is other content. */
bool proto_document_equal(const struct json_t *a, const struct json_t *b);
/* Compact text in document order, as persisted (0 or -ENOMEM). */
int proto_document_dump(const struct json_t *doc, char **ret, size_t *ret_len);
struct json_t *proto_document_ref(struct json_t *doc);
/* The secrets replaced by "<redacted>", as show shows them: /vpn/ipsec/NAME/psk,
 * /vpn/wireguard/NAME/private_key, /vpn/wireguard/NAME/peers/PEER/preshared_key. */
void proto_document_redact(struct json_t *doc);
void proto_document_unref(struct json_t *doc);

/* ---- requests (client side) ---- */

/* The line (with its newline) of a request; doc/len: the intent document for apply, check
 * and plan (NULL otherwise). -EINVAL when doc is not a JSON document that the agent could
 * receive (not JSON, duplicate keys, NUL, too large): the caller validates it locally for the
 * exact errors. */
int proto_request_build(enum proto_kind kind, const char *doc, size_t len, const char *id,
			char **ret, size_t *ret_len);
/* The same with more members (members: JSON object members without braces, "\"from\":7",
 * written before the intent; NULL: none). */
int proto_request_build_with(enum proto_kind kind, const char *members, const char *doc,
			     size_t len, const char *id, char **ret, size_t *ret_len);

/* ---- answers (daemon side): each returns a whole line with its newline, or NULL ---- */

/* {"exit": N, "error": msg} (PROTO_EXIT_BAD_REQUEST, stale generation, ...); applied: add
 * "applied": false (answers to apply). */
char *proto_answer_error(const char *id, int exit_code, const char *msg, bool applied);
/* {"exit": N, ["applied": false,] "errors": [{"pointer", "message"}...]}; applied and exit 2:
 * "undo_failed" too. */
char *proto_answer_errors(const char *id, int exit_code, const struct errlist *errs,
			  bool applied, bool undo_failed);

struct proto_applied {
	int64_t generation;
	size_t changes;
	double duration_ms;
	bool unchanged;	     /* same generation and content: nothing was done */
	const char *confirm_deadline; /* apply --confirm: when it is rolled back (ISO 8601) */
	const char *warning; /* in effect but not persisted, or NULL */
	const struct oplist *repaired; /* the intent in effect applied again: the drift it
					* repaired ("repaired", as `plan` names them), or NULL */
};
char *proto_answer_applied(const char *id, const struct proto_applied *a);
/* check: {"exit": 0, "valid": true, "generation": N} */
char *proto_answer_valid(const char *id, int64_t generation);
/* plan: {"exit": 0, "operations": ["create address ...", ...]} */
char *proto_answer_plan(const char *id, const struct oplist *ops);
/* show: {"exit": 0, "generation": N, "intent": {...}} with the secrets redacted; doc NULL:
 * nothing applied yet ("generation": 0, "intent": null). */
char *proto_answer_show(const char *id, int64_t generation, const char *doc, size_t len);
/* handover: {"exit": 0, "handover": "MESSAGE", "duration_ms": N} */
char *proto_answer_handover(const char *id, const char *msg, double duration_ms);

/* ---- status (built by the daemon, read by the client) ---- */

struct proto_status_link {
	char *name;
	char *mac; /* NULL: no MAC (a tunnel) */
	bool has_mtu;
	uint32_t mtu;
	bool up;
	char *owner; /* NULL: the agent's or nobody's */
	bool has_counters; /* the backend counts traffic ("counters" of the link) */
	uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped;
};

struct proto_status_address {
	char *interface;
	char *address;
	char *owner;
	/* An address of a management interface that the intent in effect no longer lists (the
	 * agent never removes one), with the generation of the last intent that listed it (0:
	 * not known). */
	bool kept;
	int64_t kept_generation;
};

struct proto_status_route {
	char *to;
	char *via;	 /* NULL: none */
	char *interface; /* NULL: none */
	uint32_t metric;
	char *owner;
};

/* A counter of the nftables backend: of an intent element (a firewall or source NAT rule, a
 * port forward, a one-to-one entry: its pointer), or of an always-on rule or a chain's policy
 * (no pointer: its name, "builtin:input/established", "builtin:forward/policy-drop"). */
struct proto_status_rule {
	char *pointer; /* the intent element's JSON Pointer, or NULL */
	char *name;    /* NULL when it has a pointer */
	char *comment; /* NULL: none */
	uint64_t packets;
	uint64_t bytes;
};

struct proto_error;

struct proto_status_apply {
	bool present;
	int64_t generation; /* 0: unknown (the intent did not parse) */
	char *when;	    /* ISO 8601, UTC, milliseconds */
	char *origin;	    /* "socket", "serial", "boot", "payload" */
	char *result;	    /* "applied", "unchanged", "invalid", "failed", "stale" */
	double duration_ms;
	size_t changes;
	size_t errors;
	/* The first of them (at most PROTO_STATUS_ERRORS), with their pointers. */
	struct proto_error *error_list;
	size_t n_error_list;
	bool undo_failed;
};
#define PROTO_STATUS_ERRORS 20

/* A daemon the agent drives ("services", keyed by name). */
struct proto_status_service {
	char *name;
	char *state; /* "running", "stopped", "failed" */
	int64_t pid; /* 0: none */
	int64_t restarts;
	char *since;	  /* ISO 8601: the last change of state */
	char *last_error; /* NULL: none */
};

struct proto_status_vrrp_group {
	char *name;
	char *state; /* "master", "backup", "fault", "stop", "init" */
	char *since;
	int64_t priority; /* in effect (1 while held) */
	bool addresses_present; /* all its virtual addresses are on its link */
};

/* "vrrp": present when keepalived runs. */
struct proto_status_vrrp {
	bool present;
	char *state;
	char *since;
	int64_t priority; /* in effect */
	bool held;	  /* held as backup after a handover (vrouterctl handover --cancel) */
	struct proto_status_vrrp_group *groups;
	size_t n_groups;
	bool has_sync; /* conntrackd runs and answered */
	char *peer;    /* the sync peer, or NULL */
	int64_t entries, injected, packets_sent, packets_received, unacknowledged;
	char *last_heard; /* ISO 8601: the peer last heard on the sync link; NULL: never */
	bool ready;	  /* ready for a planned handover (services/vrrp.h's vrrp_not_ready) */
	char *not_ready;  /* why not, or NULL */
};

/* A WireGuard tunnel's peer, as wg shows it (no secret). */
struct proto_status_wg_peer {
	char *name; /* the intent's; its public key for a peer the intent does not name */
	char *public_key;
	char *endpoint;		/* NULL: none known */
	char *latest_handshake; /* ISO 8601; NULL: never */
	int64_t rx_bytes, tx_bytes;
};

/* "vpn": {"wireguard": {NAME: ...}}: each tunnel of the intent in effect. */
struct proto_status_wg {
	char *name;
	char *implementation; /* "kernel" or "wireguard-go"; NULL when it could not be read */
	char *error;	      /* why it could not be read, or NULL */
	struct proto_status_wg_peer *peers;
	size_t n_peers;
};

/* "vpn": {"ipsec": {NAME: ...}}: each IPsec tunnel of the intent in effect, as charon shows it
 * over VICI (no secret). */
struct proto_status_ipsec {
	char *name;
	char *ike_state; /* "ESTABLISHED", "CONNECTING", ...; NULL: no IKE SA (or not read) */
	int64_t child_sas;	/* CHILD SAs installed */
	int64_t bytes_in, bytes_out, packets_in, packets_out; /* theirs, added up */
	char *last_rekey; /* ISO 8601: when the newest CHILD SA was installed; NULL: none */
	char *error;	  /* why charon could not be asked, or NULL */
};

/* "set_aside": a file of the state directory set aside (lib/seal.h, state/statefile.h), or a
 * damaged one that could not be set aside yet. */
struct proto_status_aside {
	char *file;	/* the path it had */
	char *problem;	/* "checksum", "truncated", ... (seal_problem_to_string) */
	char *moved_to; /* its path now; NULL: still where it was (error says why) */
	char *when;	/* ISO 8601, UTC, to the second; NULL with moved_to */
	char *error;	/* why it could not be set aside, or NULL */
};

/* "drift": the watch of the agent's kernel objects (daemon/drift.h). */
#define PROTO_DRIFT_OBJECTS 20 /* the objects of a drift named in status, at most */
struct proto_drift_object {
	char *pointer;	 /* the intent element's JSON Pointer ("" when none) */
	char *operation; /* what repairs it, as `plan` names it */
};

struct proto_status_drift {
	char *mode;	   /* "repair", "report"; NULL: not watched (watch_error says why) */
	char *watch_error; /* NULL, or why the kernel objects are not watched */
	char *check_error; /* NULL, or why the last check could not plan (until one can) */
	bool present;	   /* a drift was found since the start ("last"), described below */
	char *detected;	   /* ISO 8601: when it was first found */
	struct proto_drift_object *objects; /* the first PROTO_DRIFT_OBJECTS of them */
	size_t n_objects;
	size_t total;	   /* its objects in all */
	char *state;	   /* "repaired", "reported", "held", "failed" (drift_state_to_string) */
	char *repaired;	   /* ISO 8601, or NULL */
	char *repaired_by; /* "watch", "apply", or NULL */
	char *error;	   /* failed: why */
};

struct proto_status {
	char *version;
	char *image_version; /* "agent": "image_version", the image's (null: unknown) */
	int64_t pid;
	char *backend;
	char *started; /* ISO 8601 */
	int64_t applied_generation; /* 0: none */
	bool in_effect;		    /* the applied intent's last apply succeeded */
	struct proto_status_apply last;
	struct proto_status_aside *aside; /* "set_aside" (absent when there are none) */
	size_t n_aside;
	struct proto_status_drift drift;
	char *observe_error; /* NULL: the lists below are the observed state */
	struct proto_status_link *links;
	size_t n_links;
	struct proto_status_address *addrs;
	size_t n_addrs;
	struct proto_status_route *routes;
	size_t n_routes;
	bool has_rules; /* the backend counts rules ("rules" in "observed") */
	struct proto_status_rule *rules;
	size_t n_rules;
	struct proto_status_service *services; /* "services": empty without a services backend */
	size_t n_services;
	struct proto_status_vrrp vrrp;
	char *ipsec_data_path; /* "kernel" or "libipsec"; NULL: charon does not run (or unknown) */
	struct proto_status_ipsec *ipsec;
	size_t n_ipsec;
	struct proto_status_wg *wireguard;
	size_t n_wireguard;
	/* "confirm": an apply --confirm that awaits its confirmation (generation 0: none), the
	 * generation its deadline brings back the content of, and the deadline (ISO 8601). */
	int64_t confirm_generation;
	int64_t confirm_previous;
	char *confirm_deadline;
	/* "history_error": why the history is not persisted (NULL: it is). */
	char *history_error;
	/* "busy": the agent is busy (an apply) since busy_since (ISO 8601) with work from
	 * busy_origin (status_origin_to_string); NULL: not busy. A busy status carries no observed
	 * state, services, VRRP nor VPN ("observed", "services", "vrrp", "vpn": null). */
	char *busy_since;
	char *busy_origin;
};

char *proto_answer_status(const char *id, const struct proto_status *st);

/* An answer line marked as given while the state directory does not work (nothing the
 * request did is persisted): "persisted": false and "persist_error": why, before the id.
 * Takes line; returns the marked line, or line itself when out of memory (or NULL). */
char *proto_answer_not_persisted(char *line, const char *why);
void proto_status_drift_done(struct proto_status_drift *d);
void proto_status_done(struct proto_status *st);

/* ---- answers (client side) ---- */

struct proto_error {
	char *pointer;
	char *message;
};

struct proto_reply {
	int exit_code;
	char *id;    /* JSON text, or NULL */
	char *error; /* "error", or NULL */
	struct proto_error *errors;
	size_t n_errors;
	bool undo_failed;
	char **operations; /* plan */
	size_t n_operations;
	bool has_intent;
	char *intent; /* show: pretty-printed (indent 2), "null" when nothing is applied */
	char *handover; /* handover: what happened */
	bool has_status;
	struct proto_status status;
	char *persist_error; /* "persist_error": the state directory does not work, or NULL */
	char *text; /* the answer without its id, one line without newline, for printing */
};

/* Parses an answer line. 0 or -EINVAL (not an answer: no integer "exit"), -ENOMEM. */
int proto_reply_parse(const char *line, size_t len, struct proto_reply *ret);
void proto_reply_done(struct proto_reply *r);

/* ---- vrouterctl edit (proto-edit.c) ---- */

/*
 * The text an operator edits: the persisted intent (doc: intent.json's text, secrets
 * included) with its "generation" set to the next one, pretty-printed (indent 2) in document
 * order, with a final newline. The next generation in ret_generation. 0; -EINVAL: doc is not a
 * JSON object with a positive integer "generation"; -ERANGE: its generation is the largest
 * there is; -ENOMEM.
 */
int proto_edit_text(const char *doc, size_t len, char **ret, size_t *ret_len,
		    int64_t *ret_generation);
/* Whether doc (intent.json's text) is the intent that show answered (shown: the answer's
 * "intent" as proto_reply_parse gives it, secrets redacted): the same content once doc's
 * secrets are redacted as show redacts them. */
bool proto_edit_is_shown(const char *doc, size_t len, const char *shown);
