/* SPDX-License-Identifier: MIT */
/*
 * The description of the agent's nftables table, `inet vrouter`, in memory: its chains,
 * sets (with their elements) and rules, each with the JSON Pointer of the intent element
 * that produced it. nft-compile.c fills it from the typed intent; nft-desc.c (the one file of
 * the agent, with nft-observe.c, that includes libnftnl) turns it into one batch.
 *
 * Rules are built expression by expression with the nft_desc_* calls below, which mirror the
 * kernel's expressions (meta, payload, cmp, lookup, ...) and write each one at once as the
 * netlink attributes the kernel reads (nft-expr.c: a rule is serialised once, however many
 * batches and fingerprints use it). Registers are the 32-bit ones
 * (NFT_REG32_00 + n); a concatenation is loaded into consecutive registers, each field
 * padded to 4 bytes. An allocation failure is remembered by the description (nft_desc_oom) and
 * reported once, so the builders return nothing.
 *
 * Every chain, set and rule has a tag, "KIND KEY" of the plan object it came from
 * ("fw-rule forward/3", NULL for the table's own plumbing): observe finds the plan objects by
 * these tags. Chains and sets carry none in the kernel: their names say it (a base chain's tag
 * is "fw-chain NAME", an intent set's "fw-set NAME"; the table's own sets and chains start with
 * '_' or have no tag), so the listing has no comment that only the agent reads. A rule's
 * comment is its label: the tag, then the JSON Pointer of its intent element, then the intent's
 * own comment, if any ("fw-rule forward/3 /firewall/forward/rules/3 web egress"), which
 * `status` shows beside the rule's counter (tags and pointers have no spaces).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

#define NFT_DESC_TABLE "vrouter"
#define NFT_DESC_KEY_MAX 64	  /* NFT_DATA_VALUE_MAXLEN */
#define NFT_DESC_USERDATA_MAX 256 /* NFT_USERDATA_MAXLEN */
#define NFT_DESC_MAX_FIELDS 16
/* Verdict maps of runs of access-list rules (nft-compile-acl.c): "_aclforward_0". Their
 * elements' comments are rule labels, and each element has a counter. */
#define NFT_DESC_ACL_PREFIX "_acl"
/* The NAT maps whose elements count (nft-compile-nat.c): port forwards (_pf4, _pfr4, ...) and
 * one-to-one entries (_o2od4, _o2os4, ...). Their elements' comments are the entries' tags. */
#define NFT_DESC_PF_PREFIX "_pf"
#define NFT_DESC_O2O_PREFIX "_o2o"
/* The label of a rule that no intent element is behind (the always-on rules), its whole
 * label: "builtin:input/established". status counts it under that name. */
#define NFT_DESC_BUILTIN_PREFIX "builtin:"
/* A verdict map's value (NFT_DATA_VERDICT), as the description and observe hold it: the
 * verdict code (int32, host order), then for a jump or goto the chain's name, NUL-padded. */
#define NFT_DESC_VERDICT_LEN 32

/* nft's data type numbers (for `nft list`; the kernel does not use them). */
enum {
	NFT_DESC_TYPE_INTEGER = 4,
	NFT_DESC_TYPE_IPADDR = 7,
	NFT_DESC_TYPE_IP6ADDR = 8,
	NFT_DESC_TYPE_INET_PROTOCOL = 12,
	NFT_DESC_TYPE_INET_SERVICE = 13,
	NFT_DESC_TYPE_ICMP_TYPE = 14,
	NFT_DESC_TYPE_MARK = 19,
	NFT_DESC_TYPE_ICMP6_TYPE = 29,
	NFT_DESC_TYPE_IFNAME = 41,
	NFT_DESC_TYPE_BITS = 6, /* concatenations: (type << 6 | next) for each field */
};

struct nft_desc_chain {
	char *name;
	char *type; /* "filter", "nat"; NULL: a regular chain (no hook), for gotos */
	int hook;   /* NF_INET_* */
	int prio;
	int policy; /* NF_ACCEPT / NF_DROP; -1: none (nat chains) */
	/* A base chain with the kernel's counters (NFTA_CHAIN_COUNTERS), which count only what
	 * reaches its policy (nft_do_chain() updates them just before returning the policy):
	 * the packets the policy decided, at no cost to a packet a rule decides. */
	bool counters;
	char *tag;
	char *ptr;
};

struct nft_desc_set {
	unsigned refs; /* the descriptions (nft_desc_include) and observed views that hold it */
	char *name; /* "__set%d" for anonymous sets (the kernel numbers them) */
	uint32_t id;
	uint32_t flags; /* NFT_SET_* */
	uint32_t key_type, key_len, data_type, data_len; /* verdict maps: NFT_DATA_VERDICT,
							  * NFT_DESC_VERDICT_LEN */
	uint8_t fields[NFT_DESC_MAX_FIELDS];		 /* concatenations: each field's length */
	unsigned n_fields;
	bool plan_elements; /* elements are fw-element objects, changed by their operations */
	bool counters;	    /* each element has a counter (the set's counter expression) */
	char *tag;
	char *ptr;
	/* elements: key, key_end (concatenated intervals), data, each of stride bytes */
	size_t n, cap;
	uint8_t *bytes;
	uint32_t *eflags; /* NFT_SET_ELEM_* */
	char **comments;  /* NULL or one per element (NULL: none) */
	char **eptrs;	  /* the JSON Pointer behind each element (NULL: the set's) */
};

struct nft_desc_rule {
	unsigned refs; /* the descriptions that hold it (nft_desc_include) */
	char *chain;
	uint8_t *exprs; /* its expressions, the content of NFTA_RULE_EXPRESSIONS */
	size_t len, cap;
	char *tag;
	char *ptr;
	char *note; /* the intent's comment, or NULL */
	struct nft_desc *d; /* the description building it; NULL once it is included elsewhere */
};

struct nft_desc {
	struct nft_desc_chain *chains;
	size_t n_chains;
	struct nft_desc_set **sets;
	size_t n_sets;
	struct nft_desc_rule **rules;
	size_t n_rules;
	uint32_t next_set_id;
	bool oom;
};

struct nft_desc *nft_desc_new(void);
struct nft_desc *nft_desc_free(struct nft_desc *d);
/*
 * Parts: a description built on its own, once, and included in the descriptions of later
 * applies (a section's part of the table, kept with the section: nft-compile.c). Its set ids
 * start at id_base, apart from the including description's, so that its rules, serialised
 * once, stay right wherever it is included.
 */
struct nft_desc *nft_desc_new_part(uint32_t id_base);
/* Appends the part's chains (copies), sets and rules (shared: counted references) to d, after
 * d's own: in each chain, the part's rules come after d's. The part is complete: no builder
 * touches it after. */
void nft_desc_include(struct nft_desc *d, struct nft_desc *part);
struct nft_desc_set *nft_desc_set_ref(struct nft_desc_set *s);
void nft_desc_set_unref(struct nft_desc_set *s);
/* -ENOMEM when a builder failed to allocate, else 0. */
int nft_desc_oom(const struct nft_desc *d);

void nft_desc_chain(struct nft_desc *d, const char *name, const char *type, int hook, int prio,
		    int policy, const char *tag, const char *ptr);
/* The last chain added counts what reaches its policy (nft_desc_chain.counters). */
void nft_desc_chain_counters(struct nft_desc *d);
/* A named set (name) or an anonymous constant one (name NULL). fields: the length of each
 * field of a concatenation (n_fields 0: a single field of key_len). Returns the set or NULL
 * (out of memory, remembered). */
struct nft_desc_set *nft_desc_set(struct nft_desc *d, const char *name, uint32_t flags,
				  uint32_t key_type, uint32_t key_len, uint32_t data_type,
				  uint32_t data_len, const uint8_t *fields, unsigned n_fields,
				  const char *tag, const char *ptr);
struct nft_desc_set *nft_desc_set_find(const struct nft_desc *d, const char *name);
size_t nft_desc_set_stride(const struct nft_desc_set *s);
/* Appends an element: key (key_len bytes), key_end (concatenated intervals, else NULL),
 * data (maps, else NULL), flags NFT_SET_ELEM_*, comment (NULL: none). */
void nft_desc_elem(struct nft_desc *d, struct nft_desc_set *s, const void *key, const void *key_end,
		   const void *data, uint32_t flags, const char *comment);
/* The JSON Pointer of the intent element behind the last element appended to s. */
void nft_desc_elem_ptr(struct nft_desc *d, struct nft_desc_set *s, const char *ptr);
/*
 * The size a named hash set (neither an interval set nor anonymous) is declared with
 * (NFTA_SET_DESC_SIZE): twice the power of two at or above its element count, 128 at least.
 * Declared, the kernel takes its hash of fixed buckets instead of the resizable one, whose
 * insertions cost about twice as much, but holds no more elements than that: the size changes
 * (and with it the table's structure, so the next commit replaces the table) only when the count crosses a power of two, and an
 * element-only batch always has room for its additions before its deletions take effect.
 */
#define NFT_DESC_HASH_SIZE_MIN 64
uint32_t nft_desc_hash_size(size_t n);
/* Whether the elements of s are as concatenated intervals (key and key_end each). */
bool nft_desc_set_concat_interval(const struct nft_desc_set *s);

/* Rules: nft_desc_rule() starts one at the end of chain; the builders append expressions. */
struct nft_desc_rule *nft_desc_rule(struct nft_desc *d, const char *chain, const char *tag,
				    const char *ptr);
/* Adds the intent's comment to the rule's label (after its tag and pointer). */
void nft_desc_rule_note(struct nft_desc_rule *r, const char *note);
/* The tag at the start of a rule's label: its length ("KIND KEY": up to the second space). */
size_t nft_desc_label_tag_len(const char *label);
void nft_desc_meta(struct nft_desc_rule *r, uint32_t key, uint32_t dreg);
void nft_desc_rt(struct nft_desc_rule *r, uint32_t key, uint32_t dreg);
void nft_desc_cmp(struct nft_desc_rule *r, uint32_t op, uint32_t sreg, const void *data,
		  uint32_t len);
void nft_desc_payload(struct nft_desc_rule *r, uint32_t base, uint32_t offset, uint32_t len,
		      uint32_t dreg);
void nft_desc_bitwise(struct nft_desc_rule *r, uint32_t reg, uint32_t len, const void *mask);
/* dir: IP_CT_DIR_ORIGINAL/REPLY, or -1 for keys without a direction (state, status). */
void nft_desc_ct(struct nft_desc_rule *r, uint32_t key, int dir, uint32_t dreg);
/* dreg 0: a set lookup; else a map's data into dreg. */
void nft_desc_lookup(struct nft_desc_rule *r, const struct nft_desc_set *s, uint32_t sreg,
		     uint32_t dreg, bool invert);
/* The verdict of the verdict map s for the key in sreg. */
void nft_desc_vmap(struct nft_desc_rule *r, const struct nft_desc_set *s, uint32_t sreg);
void nft_desc_counter(struct nft_desc_rule *r);
void nft_desc_limit(struct nft_desc_rule *r, uint64_t rate_per_second, uint32_t burst);
/* log, rate-limited by the caller; prefix NULL or the intent's, with a separator added. */
void nft_desc_log(struct nft_desc_rule *r, const char *prefix);
void nft_desc_verdict(struct nft_desc_rule *r, int verdict);
/* Loads data (len bytes) into dreg. */
void nft_desc_immediate(struct nft_desc_rule *r, uint32_t dreg, const void *data, uint32_t len);
void nft_desc_reject(struct nft_desc_rule *r, uint32_t type, uint8_t code);
/* type NFT_NAT_SNAT/DNAT; reg_proto 0: addresses only. */
void nft_desc_nat(struct nft_desc_rule *r, uint32_t type, int family, uint32_t reg_addr,
		  uint32_t reg_proto);
void nft_desc_masq(struct nft_desc_rule *r);

/*
 * One batch of messages, ready to send, with the JSON Pointer of the intent element behind
 * each message (by sequence number) for the kernel's errors.
 */
struct nft_desc_batch {
	uint8_t *buf;
	size_t len, cap;
	uint32_t first_seq;
	char **ptrs; /* per message after BEGIN: its pointer (NULL: none) */
	size_t n_msgs;
	size_t n_elem_msgs; /* NEWSETELEM/DELSETELEM messages */
	bool oom;
};

void nft_desc_batch_done(struct nft_desc_batch *b);
/* The pointer of the message with sequence number seq, or NULL. */
const char *nft_desc_batch_ptr(const struct nft_desc_batch *b, uint32_t seq);

/* The fingerprint of a description: a hash of every message except the elements of named
 * sets (the table's structure: chains, sets, rules and their anonymous sets), as 16 hex
 * digits. Two descriptions with the same fingerprint differ at most in the elements of their
 * named sets, which an element-only batch can change. */
int nft_desc_fingerprint(const struct nft_desc *d, char ret[17]);
/* Replaces the table with the whole description: BEGIN, NEWTABLE (so that the delete finds
 * it), DELTABLE, NEWTABLE carrying the fingerprint as user data (fp: nft_desc_fingerprint()'s,
 * when the caller has it; NULL: computed here), chains, sets, elements, rules, END. genid (0:
 * none): the ruleset's generation the batch was planned against; the kernel refuses the
 * batch (ERESTART) if another transaction came in between. */
int nft_desc_batch_full(const struct nft_desc *d, const char *fp, uint32_t seq, uint32_t genid,
			struct nft_desc_batch *ret);
/* Removes the table: BEGIN, NEWTABLE (so that the delete finds it), DELTABLE, END. */
int nft_desc_batch_delete(uint32_t seq, struct nft_desc_batch *ret);

/* An element change, for element-only batches. A deletion needs only the key (and key_end
 * in a set of concatenated intervals). */
struct nft_desc_elem_change {
	const struct nft_desc_set *set;
	bool add;
	bool has_key_end, has_data;
	uint8_t key[NFT_DESC_KEY_MAX];
	uint8_t key_end[NFT_DESC_KEY_MAX];
	uint8_t data[NFT_DESC_KEY_MAX];
	uint32_t flags;
	const char *comment; /* additions: the element's comment, or NULL */
	const char *ptr;
};
/* BEGIN, one NEWSETELEM/DELSETELEM per change, END; genid as for nft_desc_batch_full. */
int nft_desc_batch_elems(const struct nft_desc_elem_change *c, size_t n, uint32_t seq,
			 uint32_t genid, struct nft_desc_batch *ret);
