/* SPDX-License-Identifier: MIT */
/* The nftables backend: observe, queue, and one transaction per apply. */
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/cleanup.h"
#include "nft-compile.h"
#include "nft-diff.h"
#include "nft-elem.h"
#include "nft-observe.h"
#include "nft-records.h"
#include "nft.h"

struct nft {
	struct backend b;
	struct netlink_sock *sock;
	/* The files of the records of the table's plan objects (nft-records.h): the others', the
	 * firewall section's; NULL: none. The firewall's was last written for that section and
	 * fingerprint (NULL: not known to be written). */
	char *records[2];
	struct firewall *fw_written;
	char fw_written_fp[17];
	/* Each file: read without a checksum line (an older agent's: written again at the next
	 * commit), and damaged but not yet set aside (SEAL_OK: none; nothing is written over it
	 * until it is). What observe found, for the daemon's log (nft_notes). */
	bool records_older[2];
	enum seal_problem records_pending[2];
	struct strbuf warnings, notices;
	/* What the kernel holds at generation seen.genid: the table as observe read it, or as
	 * the last commit left it (its description), and the plan objects in it. While the
	 * ruleset's generation has not moved (no transaction since, ours or anybody's), observe
	 * takes it from here instead of reading 10,000 rules back. */
	bool seen_valid;
	struct nft_observed seen;
	struct objset seen_objs;
	bool observed; /* this apply's plan was made against seen */
	bool cached;   /* ... which observe did not read again */
	/* The firewall section last compiled, its part of the table and its plan objects: an
	 * intent that shares the section includes the part without compiling it again. */
	struct nft_compile_kept kept;
	/* prepared, and queued since begin */
	struct nft_desc *desc;
	struct objset objs; /* the plan objects of desc */
	bool full;
	size_t n_ops;
	struct nftdiff changes;
	struct nft_commit_stats last;
	/* The description the kernel's table was last made from (moved from desc by a commit),
	 * and what revert puts back after this apply's commit: */
	struct nft_desc *applied;
	enum {
		UNDO_NONE,    /* the commit sent nothing */
		UNDO_TABLE,   /* the table of undo */
		UNDO_DELETE,  /* there was no table: remove it */
		UNDO_UNKNOWN, /* a table this agent did not make (its first commit since start) */
	} undo_kind;
	struct nft_desc *undo;
};

static struct nft *nft_of(struct backend *b)
{
	return (struct nft *)b;
}

static int nft_sock(struct nft *n, struct strbuf *err)
{
	return n->sock ? 0 : netlink_sock_open(&n->sock, NETLINK_NETFILTER, err);
}

/* ---- observe ---- */

static int tag_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the table has the tag "KIND KEY" (tag: a buffer to build it in). */
static bool has_tag(const struct nft_observed *o, const char *kind, const char *key,
		    struct strbuf *tag)
{
	const char *p;

	strbuf_truncate(tag, 0);
	strbuf_append(tag, kind);
	strbuf_append(tag, " ");
	strbuf_append(tag, key);
	if (tag->oom)
		return false;
	p = strbuf_str(tag);
	return bsearch(&p, o->tags, o->n_tags, sizeof(*o->tags), tag_cmp) != NULL;
}

static int add_object(struct objset *objs, enum object_kind kind, const char *key,
		      const char *attrs)
{
	struct object *o = object_new_text(kind, key, attrs);
	int r;

	if (!o)
		return -ENOMEM;
	r = objset_add(objs, o);
	object_unref(o);
	return r == -EEXIST ? 0 : r;
}

/* Sets the damaged file i aside (why, detail: what is wrong), noted for the log; one that cannot
 * be set aside stays pending. 0, or negative errno with the reason in err. */
static int records_aside(struct nft *n, size_t i, enum seal_problem why, const char *detail,
			 struct strbuf *err)
{
	_cleanup_free_ char *to = NULL;
	int r;

	r = statefile_set_aside(n->records[i], why, &to, err);
	n->records_pending[i] = r < 0 ? why : SEAL_OK;
	strbuf_printf(&n->warnings, "the nftables records file %s: %s%s%s; ", n->records[i],
		      seal_problem_describe(why), detail ? ": " : "", detail ? detail : "");
	if (r >= 0)
		strbuf_printf(&n->warnings, "set aside as %s; their objects are unknown, and the "
					    "apply makes them again from the intent\n", to);
	else
		strbuf_printf(&n->warnings, "it cannot be set aside (%s): not used, and nothing is "
					    "written over it until it is\n", strbuf_str(err));
	return r;
}

/* The plan objects of file i's records (nft-records.h), when the table has the fingerprint
 * they were written for: each only while the table still has what it tagged. A record that
 * does not read ends the list: the objects after it are then missing, and the plan makes them
 * again. A damaged file gives none (set aside), an older agent's file its records. */
static int observe_records(struct nft *n, size_t i, const struct nft_observed *o,
			   struct objset *objs, struct strbuf *err)
{
	struct statefile f;
	struct strbuf tag = {0}, ignored = {0};
	const char *p;
	int r;

	if (!n->records[i] || !o->exists || !o->fingerprint[0])
		return 0;
	r = nft_records_load(n->records[i], &f, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (f.problem != SEAL_OK && f.problem != SEAL_UNSEALED) {
		records_aside(n, i, f.problem, f.detail, &ignored);
		strbuf_done(&ignored);
		statefile_done(&f);
		return 0;
	}
	if (f.problem == SEAL_UNSEALED && !n->records_older[i]) {
		n->records_older[i] = true;
		strbuf_printf(&n->notices,
			      "the nftables records file %s has no checksum line (written by an "
			      "older vrouterd): read, and written again with one\n",
			      n->records[i]);
	}
	p = nft_records_body(f.body, o->fingerprint);
	while (p && r >= 0) {
		_cleanup_free_ char *kind = NULL, *key = NULL, *attrs = NULL;
		int k;

		r = nft_records_next(&p, &kind, &key, &attrs);
		if (r < 0)
			break;
		k = object_kind_from_string(kind);
		if (k >= 0 && has_tag(o, kind, key, &tag))
			r = add_object(objs, (enum object_kind)k, key, attrs);
	}
	strbuf_done(&tag);
	statefile_done(&f);
	if (r == -ENOMEM)
		strbuf_printf(err, "out of memory");
	return r == -ENOMEM ? r : 0;
}

static int observe_elements(struct nft_observed_set *s, struct objset *objs)
{
	int family = s->key_len == 4 ? AF_INET : s->key_len == 16 ? AF_INET6 : 0;
	struct strbuf key = {0};
	size_t i;
	int r = 0;

	if (s->key_len != 2 && !family)
		return 0;
	nft_observed_sort(s);
	for (i = 0; i < s->n && r >= 0; i++) {
		uint8_t hi[16];

		if (s->elems[i].flags & NFT_SET_ELEM_INTERVAL_END)
			continue;
		if (i + 1 < s->n && s->elems[i + 1].flags & NFT_SET_ELEM_INTERVAL_END) {
			memcpy(hi, s->elems[i + 1].key, s->key_len);
			nft_expr_dec(hi, s->key_len);
		} else {
			memset(hi, 0xff, s->key_len);
		}
		strbuf_truncate(&key, 0);
		strbuf_printf(&key, "%s ", s->name);
		nft_expr_format(family, s->elems[i].key, hi, &key);
		r = key.oom ? -ENOMEM : add_object(objs, OBJ_FW_ELEMENT, strbuf_str(&key), "");
	}
	strbuf_done(&key);
	return r;
}

/* Reads the table: n->seen and n->seen_objs. */
static int observe_read(struct nft *n, struct strbuf *err)
{
	struct objset objs = {0};
	struct nft_observed o;
	size_t i;
	int r;

	r = nft_observed_read(n->sock, &o, err);
	if (r < 0)
		return r;
	if (o.n_tags)
		qsort(o.tags, o.n_tags, sizeof(*o.tags), tag_cmp);
	for (i = 0; i < o.n_sets && r >= 0; i++) {
		struct nft_observed_set *s = &o.sets[i];

		if (s->tag && !strncmp(s->tag, "fw-set ", 7))
			r = observe_elements(s, &objs);
	}
	if (r < 0)
		strbuf_printf(err, "cannot read table inet %s: %s", NFT_DESC_TABLE, strerror(-r));
	for (i = 0; i < 2 && r >= 0; i++)
		r = observe_records(n, i, &o, &objs, err);
	if (r < 0) {
		objset_done(&objs);
		nft_observed_done(&o);
		return r;
	}
	nft_observed_done(&n->seen);
	objset_done(&n->seen_objs);
	n->seen = o;
	n->seen_objs = objs;
	n->seen_valid = true;
	return 0;
}

static int nft_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	struct nft *n = nft_of(b);
	struct strbuf err = {0};
	struct object *o;
	uint32_t genid;
	size_t i;
	int r;

	n->observed = false;
	n->cached = n->seen_valid;
	r = nft_sock(n, &err);
	if (r >= 0 && n->seen_valid) {
		r = nft_observed_genid(n->sock, &genid);
		if (r < 0)
			strbuf_printf(&err, "cannot read the generation of the ruleset: %s",
				      strerror(-r));
		else if (genid != n->seen.genid)
			n->seen_valid = false;
	}
	if (r >= 0 && !n->seen_valid) {
		n->cached = false;
		r = observe_read(n, &err);
	}
	if (r >= 0 && !obs->nft.cap) {
		/* Into an untouched set: a copy, no object hashed again. */
		r = objset_copy(&n->seen_objs, &obs->nft);
		if (r < 0)
			strbuf_printf(&err, "out of memory");
	} else {
		objset_foreach(&n->seen_objs, i, o) {
			if (r < 0)
				break;
			r = objset_add(&obs->nft, o);
			if (r == -EEXIST)
				r = 0;
			if (r == -ENOMEM)
				strbuf_printf(&err, "out of memory");
		}
	}
	if (r < 0) {
		n->seen_valid = false;
		errlist_add(errs, "", "%s", strbuf_str(&err));
	}
	strbuf_done(&err);
	n->observed = r >= 0;
	return r;
}

/* ---- apply ---- */

static void queue_reset(struct nft *n)
{
	n->full = false;
	n->n_ops = 0;
	nft_diff_reset(&n->changes);
}

static int nft_prepare(struct backend *b, const struct intent *in, struct strbuf *err)
{
	struct nft *n = nft_of(b);
	int r;

	n->desc = nft_desc_free(n->desc);
	objset_done(&n->objs);
	r = nft_compile_compile(in, &n->kept, &n->desc, &n->objs);
	if (r < 0)
		strbuf_printf(err, "cannot compile the firewall: %s", strerror(-r));
	return r;
}

static int nft_begin(struct backend *b, struct strbuf *err)
{
	queue_reset(nft_of(b));
	return 0;
}

static int queue_change(struct nft *n, const struct nft_desc_set *s, bool add, const uint8_t *key,
			uint32_t flags, const char *ptr)
{
	struct nft_desc_elem_change c = {.set = s, .add = add, .flags = flags, .ptr = ptr};

	memcpy(c.key, key, s->key_len);
	return nft_diff_push(&n->changes, &c);
}

/* An element operation as its start and end elements; anything else makes the batch whole. */
static int queue_element(struct nft *n, const struct op *op)
{
	const char *sp = strchr(op->obj->key, ' ');
	_cleanup_free_ char *name = NULL;
	const struct nft_desc_set *s;
	struct nft_expr_interval iv;
	int family, r;

	if (op->type == OP_REPLACE || !sp || !n->desc)
		return 1;
	name = strndup(op->obj->key, (size_t)(sp - op->obj->key));
	if (!name)
		return -ENOMEM;
	s = nft_desc_set_find(n->desc, name);
	if (!s || !s->plan_elements)
		return 1;
	family = s->key_len == 4 ? AF_INET : s->key_len == 16 ? AF_INET6 : 0;
	if (nft_expr_parse(family, sp + 1, &iv) < 0)
		return 1;
	r = queue_change(n, s, op->type == OP_CREATE, iv.lo, 0, op->obj->ptr);
	if (r >= 0 && nft_expr_inc(iv.hi, s->key_len))
		r = queue_change(n, s, op->type == OP_CREATE, iv.hi, NFT_SET_ELEM_INTERVAL_END,
				 op->obj->ptr);
	return r;
}

/* Port forwards and one-to-one NAT are map elements, and so are the rules of access-list maps
 * (nft-compile-acl.c): commit finds what changed in the maps. */
static bool is_map_entry(const struct op *op)
{
	const char *key = op->obj->key;

	return op->obj->kind == OBJ_NAT_RULE &&
	       (!strncmp(key, "dnat/", 5) || !strncmp(key, "one-to-one/", 11));
}

static int nft_apply_op(struct backend *b, const struct op *op, struct strbuf *err)
{
	struct nft *n = nft_of(b);
	int r = 1;

	n->n_ops++;
	if (op->obj->kind == OBJ_FW_ELEMENT)
		r = queue_element(n, op);
	else if (is_map_entry(op) || op->obj->kind == OBJ_FW_RULE)
		r = 0; /* map elements, which commit diffs; a rule of its own changes the table's
			* fingerprint, and with it the batch is whole */
	if (r > 0)
		n->full = true;
	if (r < 0)
		strbuf_printf(err, "out of memory");
	return r < 0 ? r : 0;
}

struct batch_errors {
	const struct nft_desc_batch *batch;
	struct strbuf *err;
};

static void batch_error(uint32_t seq, int error, const char *msg, void *data)
{
	struct batch_errors *e = data;
	const char *ptr = nft_desc_batch_ptr(e->batch, seq);

	if (e->err->len)
		strbuf_append(e->err, "; ");
	if (error == -ERESTART)
		msg = "the ruleset changed since it was read (another program's transaction); "
		      "the firewall was not changed";
	strbuf_printf(e->err, "%s: %s", ptr ? ptr : "", msg[0] ? msg : strerror(-error));
}

/* Whether the kernel's table has the structure of the description, as far as observe saw it:
 * the fingerprint it was made with, as many chains and rules, the same named sets. */
static bool same_structure(const struct nft *n, const char *fp)
{
	const struct nft_observed *o = &n->seen;
	size_t i, n_named = 0;

	if (!n->observed || !n->seen_valid || !o->exists || strcmp(fp, o->fingerprint) ||
	    o->n_chains != n->desc->n_chains || o->n_rules != n->desc->n_rules)
		return false;
	for (i = 0; i < n->desc->n_sets; i++) {
		const struct nft_desc_set *s = n->desc->sets[i];
		const struct nft_observed_set *k;

		if (s->flags & NFT_SET_ANONYMOUS)
			continue;
		n_named++;
		k = nft_observed_set_find(o, s->name);
		if (!k || k->key_len != s->key_len || k->data_len != s->data_len)
			return false;
	}
	return n_named == o->n_sets;
}

/* The element changes of the table's own named sets (the intent's sets change through their
 * fw-element operations), after the queued ones. A set the last commit left as it is in the
 * description (the same set: a part included again) has none. */
static int diff_own_sets(struct nft *n)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n->desc->n_sets && r >= 0; i++) {
		const struct nft_desc_set *s = n->desc->sets[i];
		struct nft_observed_set *k;

		if (s->flags & NFT_SET_ANONYMOUS || s->plan_elements)
			continue;
		k = nft_observed_set_find(&n->seen, s->name);
		if (!k || k->from != s)
			r = nft_diff_set(s, k, &n->changes);
	}
	return r;
}

/* After a commit of n->desc planned at generation genid: the kernel holds the description, at
 * the next generation (there is no generation 0). The view observe would read is made from it
 * and from what was seen (whose sets that the commit left as they were move over). */
static void remember(struct nft *n, const char *fp, uint32_t genid)
{
	struct nft_observed prev;
	int r;

	genid = genid + 1 ? genid + 1 : 1;
	prev = n->seen;
	n->seen = (struct nft_observed){0};
	objset_done(&n->seen_objs);
	r = nft_observed_assume(n->desc, fp, genid, &prev, &n->seen);
	nft_observed_done(&prev);
	/* The plan objects as observe makes them (no pointer). */
	if (r >= 0)
		r = objset_copy_as(&n->objs, object_as_observed, &n->seen_objs);
	n->seen_valid = r >= 0; /* else the next observe reads the table */
}

/* Whether the firewall's file of records is to be written: its section or the table's
 * fingerprint changed since it was. */
static bool fw_records_due(const struct nft *n, const char *fp)
{
	return n->records[1] && (n->fw_written != n->kept.firewall ||
				 strcmp(n->fw_written_fp, fp) || n->records_older[1]);
}

/* The records of this commit's plan objects, beside their files (nft_records_write): the
 * others', and the firewall's when due (fw). A damaged file still where it was is set aside
 * first (the apply fails when it cannot be, before anything changed). */
static int records_write(struct nft *n, const char *fp, bool fw, struct strbuf *err)
{
	struct strbuf ignored = {0};
	size_t i;
	int r = 0;

	for (i = 0; i < 2 && r >= 0; i++)
		if (n->records_pending[i] != SEAL_OK)
			r = records_aside(n, i, n->records_pending[i], NULL, err);
	if (r < 0)
		return r;
	if (n->records[0])
		r = nft_records_write(n->records[0], &n->objs, fp, false, err);
	if (r >= 0 && fw) {
		r = nft_records_write(n->records[1], &n->objs, fp, true, err);
		if (r < 0)
			nft_records_finish(n->records[0], false, &ignored);
	}
	strbuf_done(&ignored);
	return r;
}

/* After the commit (publish: it succeeded), the written records take their files' places or
 * are dropped. A file that cannot take its place is removed (the next read of the table then
 * replaces it whole), and the firewall's written again next time. */
static int records_finish(struct nft *n, const char *fp, bool fw, bool publish, struct strbuf *err)
{
	int r = 0;

	if (n->records[0])
		r = nft_records_finish(n->records[0], publish, err);
	if (r >= 0 && publish)
		n->records_older[0] = false;
	if (!fw)
		return r;
	n->fw_written = firewall_unref(n->fw_written);
	if (nft_records_finish(n->records[1], publish, err) < 0)
		return -EIO;
	if (publish) {
		n->fw_written = firewall_ref(n->kept.firewall);
		snprintf(n->fw_written_fp, sizeof(n->fw_written_fp), "%s", fp);
		n->records_older[1] = false;
	}
	return r;
}

/* The records of the plan objects, when the table already holds them: the files, and the view
 * of what was seen. */
static int keep_records(struct nft *n, const char *fp, struct strbuf *err)
{
	bool fw = fw_records_due(n, fp);
	int r;

	r = records_write(n, fp, fw, err);
	if (r >= 0)
		r = records_finish(n, fp, fw, true, err);
	if (r >= 0 && n->seen_valid) {
		objset_done(&n->seen_objs);
		r = objset_copy_as(&n->objs, object_as_observed, &n->seen_objs);
		n->seen_valid = r >= 0;
		if (r < 0)
			strbuf_printf(err, "out of memory");
	}
	return r;
}

static int nft_commit(struct backend *b, struct strbuf *err)
{
	struct nft *n = nft_of(b);
	struct nft_desc_batch batch;
	struct batch_errors e = {.batch = &batch, .err = err};
	uint32_t genid = n->observed ? n->seen.genid : 0;
	char fp[17];
	bool elems, fw;
	int r;

	n->last = (struct nft_commit_stats){0};
	n->undo_kind = UNDO_NONE;
	n->undo = nft_desc_free(n->undo);
	if (!n->desc)
		return 0;
	r = nft_desc_fingerprint(n->desc, fp);
	if (r < 0)
		goto oom;
	elems = !n->full && same_structure(n, fp);
	if (elems && diff_own_sets(n) < 0)
		goto oom;
	n->observed = false;
	if (elems && !n->changes.n) {
		/* The table is as wanted: what was seen stays true, but for the records of
		 * operations that change no kernel object (a record out of date), and records an
		 * older agent wrote (written again with their checksum lines). */
		r = n->n_ops || n->records_older[0] || n->records_older[1]
			? keep_records(n, fp, err)
			: 0;
		queue_reset(n);
		nft_desc_free(n->applied);
		n->applied = TAKE_PTR(n->desc);
		return r;
	}
	/* What revert would put back: the table as this agent last made it, none, or unknown. */
	if (n->applied)
		n->undo_kind = UNDO_TABLE;
	else
		n->undo_kind = n->observed && n->seen_valid && !n->seen.exists ? UNDO_DELETE
										  : UNDO_UNKNOWN;
	n->seen_valid = false; /* what observe saw is about to change */
	fw = fw_records_due(n, fp);
	r = nft_sock(n, err);
	if (r >= 0)
		r = records_write(n, fp, fw, err);
	if (r < 0) {
		queue_reset(n);
		return r;
	}
	/* The batch carries the generation the plan was made against: if another transaction
	 * came in between, the kernel refuses it whole. */
	if (elems)
		r = nft_desc_batch_elems(n->changes.v, n->changes.n,
					 netlink_sock_seq(n->sock, n->changes.n + 2), genid,
					 &batch);
	else
		r = nft_desc_batch_full(n->desc, fp, netlink_sock_seq(n->sock, 0), genid, &batch);
	if (r < 0)
		goto oom;
	/* Sequence numbers: the full batch counts its messages only once built. */
	netlink_sock_seq(n->sock, batch.n_msgs + 2);
	r = netlink_sock_batch(n->sock, batch.buf, batch.len, batch_error, &e);
	if (r >= 0) {
		n->last = (struct nft_commit_stats){
			.batches = 1,
			.messages = batch.n_msgs - 1, /* END */
			.elem_msgs = batch.n_elem_msgs,
			.full = !elems,
		};
		if (genid)
			remember(n, fp, genid);
		n->undo = TAKE_PTR(n->applied);
		n->applied = TAKE_PTR(n->desc);
	} else {
		n->undo_kind = UNDO_NONE; /* the kernel dropped the batch whole */
		if (!err->len)
			strbuf_printf(err, "%s", strerror(-r));
	}
	{
		struct strbuf ignored = {0};

		/* The kernel committed (or not): what the records' files then say is all that
		 * follows from a rename that fails, no error of this apply. */
		records_finish(n, fp, fw, r >= 0, &ignored);
		strbuf_done(&ignored);
	}
	nft_desc_batch_done(&batch);
	queue_reset(n);
	return r;
oom:
	queue_reset(n);
	strbuf_printf(err, "out of memory");
	return -ENOMEM;
}

/* After this apply's commit: the previous table sent again whole (or the table removed when
 * there was none), in a transaction of its own, whatever the generation. */
static int nft_revert(struct backend *b, struct strbuf *err)
{
	struct nft *n = nft_of(b);
	struct nft_desc_batch batch;
	struct batch_errors e = {.batch = &batch, .err = err};
	int r;

	switch (n->undo_kind) {
	case UNDO_NONE:
		return 0;
	case UNDO_UNKNOWN:
		strbuf_printf(err, "the table before this apply was not made by this agent since "
				   "it started: it cannot be sent again");
		return -EOPNOTSUPP;
	case UNDO_TABLE:
	case UNDO_DELETE:
		break;
	}
	n->seen_valid = false; /* the next observe reads the table */
	r = nft_sock(n, err);
	if (r < 0)
		return r;
	if (n->undo_kind == UNDO_TABLE)
		r = nft_desc_batch_full(n->undo, NULL, netlink_sock_seq(n->sock, 0), 0, &batch);
	else
		r = nft_desc_batch_delete(netlink_sock_seq(n->sock, 0), &batch);
	if (r < 0) {
		strbuf_printf(err, "out of memory");
		return r;
	}
	netlink_sock_seq(n->sock, batch.n_msgs + 2);
	r = netlink_sock_batch(n->sock, batch.buf, batch.len, batch_error, &e);
	nft_desc_batch_done(&batch);
	if (r < 0) {
		if (!err->len)
			strbuf_printf(err, "%s", strerror(-r));
		return r;
	}
	nft_desc_free(n->applied);
	n->applied = TAKE_PTR(n->undo);
	n->undo_kind = UNDO_NONE;
	return 0;
}

static int nft_abort(struct backend *b, struct strbuf *err)
{
	struct nft *n = nft_of(b);

	queue_reset(n);
	n->desc = nft_desc_free(n->desc);
	objset_done(&n->objs);
	return 0;
}

static void nft_free(struct backend *b)
{
	struct nft *n = nft_of(b);

	netlink_sock_close(n->sock);
	free(n->records[0]);
	free(n->records[1]);
	firewall_unref(n->fw_written);
	nft_desc_free(n->desc);
	nft_desc_free(n->applied);
	nft_desc_free(n->undo);
	objset_done(&n->objs);
	nft_compile_kept_done(&n->kept);
	nft_diff_done(&n->changes);
	nft_observed_done(&n->seen);
	objset_done(&n->seen_objs);
	strbuf_done(&n->warnings);
	strbuf_done(&n->notices);
	free(n);
}

static void nft_notes(struct backend *b, struct strbuf *warnings, struct strbuf *notices)
{
	struct nft *n = nft_of(b);

	strbuf_append_n(warnings, n->warnings.s ? n->warnings.s : "", n->warnings.len);
	strbuf_append_n(notices, n->notices.s ? n->notices.s : "", n->notices.len);
	strbuf_truncate(&n->warnings, 0);
	strbuf_truncate(&n->notices, 0);
}

static int nft_counters(struct backend *b, struct counterlist *list, struct strbuf *err)
{
	struct nft *n = nft_of(b);
	int r;

	r = nft_sock(n, err);
	if (r >= 0)
		r = nft_observed_counters(n->sock, list, err);
	if (r >= 0)
		list->kinds |= BACKEND_KIND(OBJ_FW_RULE) | BACKEND_KIND(OBJ_NAT_RULE);
	return r;
}

static const struct backend_ops nft_ops = {
	.name = "nftables",
	.kinds = BACKEND_KIND(OBJ_FW_SET) | BACKEND_KIND(OBJ_FW_ELEMENT) |
		 BACKEND_KIND(OBJ_FW_CHAIN) | BACKEND_KIND(OBJ_FW_RULE) |
		 BACKEND_KIND(OBJ_NAT_RULE),
	.observe = nft_observe,
	.prepare = nft_prepare,
	.begin = nft_begin,
	.apply_op = nft_apply_op,
	.commit = nft_commit,
	.revert = nft_revert,
	.abort = nft_abort,
	.counters = nft_counters,
	.notes = nft_notes,
	.free = nft_free,
};

struct backend *backend_nft_new(const char *records, const char *records_fw)
{
	struct nft *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if ((records && !(n->records[0] = strdup(records))) ||
	    (records_fw && !(n->records[1] = strdup(records_fw)))) {
		free(n->records[0]);
		free(n);
		return NULL;
	}
	n->b.ops = &nft_ops;
	return &n->b;
}

void backend_nft_last_commit(struct backend *b, struct nft_commit_stats *ret)
{
	*ret = nft_of(b)->last;
}

bool backend_nft_last_observe_cached(struct backend *b)
{
	return nft_of(b)->cached;
}
