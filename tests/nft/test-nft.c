/* SPDX-License-Identifier: MIT */
/* The nftables backend without a kernel: element encoding, the records of plan objects, the
 * compiler's description of small intents (chains, sets, rules, fingerprints, batches), and the element
 * messages and expressions it writes itself, byte for byte against libnftnl's. */
#include <errno.h>
#include <netinet/in.h> /* before the kernel's headers */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "intent/parse.h"
#include "lib/cleanup.h"
#include "lib/jread.h"
#include "nft/nft-compile.h"
#include "nft/nft-counters.h"
#include "nft/nft-diff.h"
#include "nft/nft-elem.h"
#include "nft/nft-records.h"

/* ---- elements ---- */

static void assert_round_trip(int family, const char *text)
{
	struct nft_expr_interval iv;
	struct strbuf out = {0};
	size_t len = family == AF_INET6 ? 16 : family ? 4 : 2;

	assert_int_equal(nft_expr_parse(family, text, &iv), 0);
	assert_int_equal(nft_expr_format(family, iv.lo, iv.hi, &out), 0);
	assert_string_equal(strbuf_str(&out), text);
	(void)len;
	strbuf_done(&out);
}

static void test_elem_text(void **state)
{
	static const struct {
		int family;
		const char *text;
	} v[] = {
		{AF_INET, "10.0.0.0/8"},	{AF_INET, "192.0.2.7"},	   {AF_INET, "0.0.0.0/0"},
		{AF_INET6, "fd00::/8"},		{AF_INET6, "2001:db8::1"}, {0, "22"},
		{0, "8000-8010"},		{0, "1-65535"},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_round_trip(v[i].family, v[i].text);
	assert_int_equal(nft_expr_parse(AF_INET, "fd00::1", &(struct nft_expr_interval){0}),
			 -EINVAL);
	assert_int_equal(nft_expr_parse(0, "80-", &(struct nft_expr_interval){0}), -EINVAL);
}

static void test_elem_range_not_prefix(void **state)
{
	uint8_t lo[4] = {10, 0, 0, 1}, hi[4] = {10, 0, 0, 6};
	struct strbuf out = {0};

	nft_expr_format(AF_INET, lo, hi, &out);
	assert_string_equal(strbuf_str(&out), "10.0.0.1-10.0.0.6");
	strbuf_done(&out);
}

static void test_elem_inc_dec(void **state)
{
	uint8_t v[2] = {0x00, 0xff}, max[2] = {0xff, 0xff}, zero[2] = {0, 0};

	assert_true(nft_expr_inc(v, 2));
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 0);
	assert_false(nft_expr_inc(max, 2));
	assert_false(nft_expr_dec(zero, 2));
	assert_int_equal(zero[0], 0xff);
}

static void test_elem_merge(void **state)
{
	struct nft_expr_interval v[4];
	struct ip_prefix p;
	const char *in[] = {"10.1.0.0/16", "10.0.0.0/8", "192.168.1.0/24", "192.168.0.0/24"};
	struct strbuf out = {0};
	size_t i, n;

	for (i = 0; i < 4; i++) {
		assert_int_equal(prefix_parse(in[i], &p), 0);
		nft_expr_prefix_bounds(&p, v[i].lo, v[i].hi);
	}
	n = nft_expr_merge(v, 4, 4);
	assert_int_equal(n, 2); /* 10/8 swallows 10.1/16; the two /24 are adjacent: one /23 */
	for (i = 0; i < n; i++) {
		nft_expr_format(AF_INET, v[i].lo, v[i].hi, &out);
		strbuf_append(&out, " ");
	}
	assert_string_equal(strbuf_str(&out), "10.0.0.0/8 192.168.0.0/23 ");
	strbuf_done(&out);
}

/* ---- the records of the plan objects ---- */

static void test_records(void **state)
{
	struct strbuf text = {0};
	char *kind, *key, *attrs;
	const char *p;

	nft_records_put("fw-rule", "input/0", "tcp dport 22 accept comment \"a:b 3:x\"", &text);
	nft_records_put("fw-chain", "output", "", &text);
	p = strbuf_str(&text);
	assert_int_equal(nft_records_next(&p, &kind, &key, &attrs), 0);
	assert_string_equal(kind, "fw-rule");
	assert_string_equal(key, "input/0");
	assert_string_equal(attrs, "tcp dport 22 accept comment \"a:b 3:x\"");
	free(kind), free(key), free(attrs);
	assert_int_equal(nft_records_next(&p, &kind, &key, &attrs), 0);
	assert_string_equal(kind, "fw-chain");
	assert_string_equal(attrs, "");
	free(kind), free(key), free(attrs);
	assert_int_equal(nft_records_next(&p, &kind, &key, &attrs), -ENOENT);
	p = "fw-rule 99:short";
	assert_int_equal(nft_records_next(&p, &kind, &key, &attrs), -EINVAL);
	p = "fw-rule -1:x0:";
	assert_int_equal(nft_records_next(&p, &kind, &key, &attrs), -EINVAL);
	strbuf_done(&text);
}

/* The file's text: the fingerprint's line, then one record per object but the set elements,
 * read back only for the same fingerprint. */
static void test_records_file(void **state)
{
	struct object *v[] = {
	    object_new_text(OBJ_FW_RULE, "forward/3", "iifname \"web\" accept comment \"a\nb\""),
	    object_new_text(OBJ_NAT_RULE, "dnat/public/203.0.113.11/tcp/8000", "dnat to x"),
	    object_new_text(OBJ_FW_ELEMENT, "blocked 192.0.2.7", ""),
	};
	struct objset objs = {0}, back = {0};
	struct strbuf text = {0};
	const struct object *o;
	const char *p;
	size_t i;
	int fw;

	(void)state;
	for (i = 0; i < ELEMENTSOF(v); i++) {
		assert_non_null(v[i]);
		assert_int_equal(objset_add(&objs, v[i]), 0);
		object_unref(v[i]);
	}
	assert_int_equal(nft_records_format(&objs, "0123456789abcdef", false, &text), 0);
	assert_null(strstr(strbuf_str(&text), "forward/3")); /* the firewall's file's */
	assert_null(nft_records_body(strbuf_str(&text), "0123456789abcdee"));
	assert_null(nft_records_body(strbuf_str(&text), ""));
	assert_null(nft_records_body("", "0123456789abcdef"));
	for (fw = 0; fw < 2; fw++) {
		strbuf_truncate(&text, 0);
		assert_int_equal(nft_records_format(&objs, "0123456789abcdef", fw, &text), 0);
		p = nft_records_body(strbuf_str(&text), "0123456789abcdef");
		assert_non_null(p);
		for (;;) {
			_cleanup_free_ char *kind = NULL, *key = NULL, *attrs = NULL;
			struct object *x;
			int r = nft_records_next(&p, &kind, &key, &attrs);

			if (r == -ENOENT)
				break;
			assert_int_equal(r, 0);
			x = object_new_text((enum object_kind)object_kind_from_string(kind), key,
					    attrs);
			assert_non_null(x);
			assert_int_equal(nft_records_firewall(x), fw);
			assert_int_equal(objset_add(&back, x), 0);
			object_unref(x);
		}
	}
	assert_int_equal(objset_size(&back), 2);
	objset_foreach(&objs, i, o) {
		const struct object *b = objset_get(&back, o->kind, o->key);

		if (o->kind == OBJ_FW_ELEMENT) {
			assert_null(b);
			continue;
		}
		assert_non_null(b);
		assert_string_equal(b->attrs, o->attrs);
	}
	objset_done(&objs);
	objset_done(&back);
	strbuf_done(&text);
}

/* ---- the compiler ---- */

static const char base[] =
	"{\"version\": 1, \"generation\": 1, \"interfaces\": {"
	" \"mgmt\": {\"mac\": \"02:00:00:00:01:03\", \"addresses\": [\"192.168.100.1/24\"],"
	"  \"management\": true},"
	" \"public\": {\"mac\": \"02:00:00:00:01:01\", \"addresses\": [\"203.0.113.1/24\","
	"  \"203.0.113.11/24\", \"fd00:1::1/64\"]},"
	" \"lan\": {\"mac\": \"02:00:00:00:01:02\", \"addresses\": [\"10.1.1.1/24\", \"fd00:2::1/64\"]}},"
	"\"firewall\": {\"sets\": {\"blocked\": {\"type\": \"ipv4\", \"elements\": [%s]}},"
	" \"input\": {\"policy\": \"drop\", \"rules\": ["
	"  {\"action\": \"drop\", \"source\": [\"10.9.0.0/16\", \"@blocked\"], \"log\": true},"
	"  {\"action\": \"reject\", \"protocol\": \"tcp\", \"ports\": [23, \"2000-2001\"]}]}},"
	"\"nat\": {\"source\": [{\"out\": \"public\", \"masquerade\": true}],"
	" \"destination\": [{\"in\": \"public\", \"destination\": \"203.0.113.11\","
	"  \"protocol\": \"tcp_udp\", \"ports\": \"8000-8009\", \"to\": \"10.1.1.5\","
	"  \"to_ports\": \"9000-9009\"}]}}";

/* A valid intent's text, compiled. */
static struct nft_desc *compile_doc(const char *doc)
{
	struct errlist errs = {0};
	struct intent *in = NULL;
	struct nft_desc *d = NULL;

	assert_int_equal(intent_load(doc, strlen(doc), &in, &errs), 0);
	errlist_done(&errs);
	assert_int_equal(nft_compile_compile(in, NULL, &d, NULL), 0);
	intent_free(in);
	return d;
}

/* The base intent (set elements 192.0.2.7) with a forward (its text) put first or last
 * among the forwards, compiled. */
static struct nft_desc *compile_with_forward(const char *forward, bool first)
{
	static const char fwd[] = " \"destination\": [";
	_cleanup_free_ char *doc = NULL, *with = NULL;
	char *p;

	assert_true(asprintf(&doc, base, "\"192.0.2.7\"") > 0);
	p = strstr(doc, fwd);
	assert_non_null(p);
	p += strlen(fwd);
	if (!first) {
		p = strchr(p, '}');
		assert_non_null(p);
		p++;
	}
	assert_true(asprintf(&with, "%.*s%s%s%s%s", (int)(p - doc), doc, first ? "" : ", ", forward,
			     first ? ", " : "", p) > 0);
	return compile_doc(with);
}

/* The base intent with the set's elements, a forward's destination port instead of 8000-8009
 * (NULL: as is), and more at the end of the firewall section (NULL: nothing). */
static struct nft_desc *compile_with(const char *elements, const char *ports, const char *more)
{
	_cleanup_free_ char *doc = NULL;
	char *p;

	assert_true(asprintf(&doc, base, elements) > 0);
	if (ports) {
		p = strstr(doc, "\"8000-8009\"");
		assert_non_null(p);
		memcpy(p + 1, ports, 9);
	}
	if (more) {
		char *with;

		p = strstr(doc, "]}},\"nat\"");
		assert_non_null(p);
		assert_true(asprintf(&with, "%.*s, %s%s", (int)(p - doc), doc, more, p) > 0);
		free(doc);
		doc = with;
	}
	return compile_doc(doc);
}

static struct nft_desc *compile(const char *elements)
{
	return compile_with(elements, NULL, NULL);
}

/* The n-th rule of a chain, in the order the batch appends them. */
static const struct nft_desc_rule *nth_rule(const struct nft_desc *d, const char *chain, size_t n)
{
	size_t i;

	for (i = 0; i < d->n_rules; i++)
		if (!strcmp(d->rules[i]->chain, chain) && !n--)
			return d->rules[i];
	return NULL;
}

/* The firewall section's part is built once per section while the caller keeps it: a second
 * compile of the same intent includes its sets and rules again (the same ones), builds the
 * rest anew, and describes the same table (as a compile without the kept part does); what the
 * first commit left moves over to the second. */
static void test_firewall_part_kept(void **state)
{
	_cleanup_free_ char *doc = NULL;
	struct errlist errs = {0};
	struct intent *in = NULL;
	struct nft_desc *a = NULL, *b = NULL, *anew = NULL;
	struct nft_observed seen = {0}, again = {0};
	struct nft_compile_kept k = {0};
	const char *kept[] = {"blocked"};
	char fa[17], fb[17], fc[17];
	size_t i;

	assert_true(asprintf(&doc, base, "\"192.0.2.7\"") > 0);
	assert_int_equal(intent_load(doc, strlen(doc), &in, &errs), 0);
	assert_int_equal(nft_compile_compile(in, &k, &a, NULL), 0);
	assert_int_equal(nft_compile_compile(in, &k, &b, NULL), 0);
	assert_int_equal(nft_compile_compile(in, NULL, &anew, NULL), 0);
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		assert_non_null(nft_desc_set_find(a, kept[i]));
		assert_ptr_equal(nft_desc_set_find(a, kept[i]), nft_desc_set_find(b, kept[i]));
		assert_ptr_not_equal(nft_desc_set_find(a, kept[i]),
				     nft_desc_set_find(anew, kept[i]));
	}
	assert_ptr_not_equal(nft_desc_set_find(a, "_pf4"), nft_desc_set_find(b, "_pf4"));
	assert_ptr_not_equal(nft_desc_set_find(a, "_lan4"), nft_desc_set_find(b, "_lan4"));
	assert_ptr_equal(nth_rule(a, "input", 7), nth_rule(b, "input", 7));
	assert_int_equal(nft_desc_fingerprint(a, fa), 0);
	assert_int_equal(nft_desc_fingerprint(b, fb), 0);
	assert_int_equal(nft_desc_fingerprint(anew, fc), 0);
	assert_string_equal(fa, fb);
	assert_string_equal(fa, fc);
	nft_desc_free(anew);
	/* the intent goes, its firewall section held by what is kept; the part lives on in the
	 * descriptions that include it once that goes too */
	intent_free(in);
	assert_int_equal(k.firewall->refs, 1);
	nft_compile_kept_done(&k);
	assert_null(k.firewall);
	assert_int_equal(nft_observed_assume(a, fa, 7, NULL, &seen), 0);
	assert_ptr_equal(nft_observed_set_find(&seen, "blocked")->from,
			 nft_desc_set_find(a, "blocked"));
	nft_desc_free(a);
	{
		const struct nft_observed_elem *elems =
		    nft_observed_set_find(&seen, "blocked")->elems;
		const struct nft_observed_elem *nat = nft_observed_set_find(&seen, "_pf4")->elems;

		assert_int_equal(nft_observed_assume(b, fb, 8, &seen, &again), 0);
		assert_ptr_equal(nft_observed_set_find(&again, "blocked")->elems, elems);
		assert_ptr_not_equal(nft_observed_set_find(&again, "_pf4")->elems, nat);
		assert_int_equal(nft_observed_set_find(&again, "_pf4")->n, 20);
	}
	assert_null(nft_observed_set_find(&seen, "blocked"));
	nft_observed_done(&seen);
	nft_desc_free(b);
	assert_int_equal(nft_observed_set_find(&again, "blocked")->n, 2); /* still there */
	nft_observed_done(&again);
	errlist_done(&errs);
}

/* What is kept follows the firewall section: an intent read against another, sharing its
 * section, includes the part kept for it; an intent with another section gets its own part,
 * which replaces the kept one (and its reference to the section). */
static void test_firewall_part_follows_section(void **state)
{
	_cleanup_free_ char *doc = NULL, *other = NULL;
	struct errlist errs = {0};
	struct intent *in = NULL, *shared = NULL, *changed = NULL;
	struct nft_desc *a = NULL, *b = NULL, *c = NULL;
	struct nft_compile_kept k = {0};
	struct json_t *root = NULL;

	assert_true(asprintf(&doc, base, "\"192.0.2.7\"") > 0);
	assert_true(asprintf(&other, base, "\"192.0.2.8\"") > 0);
	assert_int_equal(jr_load(&errs, doc, strlen(doc), &root), 0);
	assert_int_equal(intent_load_tree(root, &in, &errs), 0);
	assert_int_equal(intent_load_tree_from(root, root, in, &shared, &errs), 0);
	assert_int_equal(intent_load(other, strlen(other), &changed, &errs), 0);
	assert_ptr_equal(shared->firewall, in->firewall);

	assert_int_equal(nft_compile_compile(in, &k, &a, NULL), 0);
	assert_int_equal(nft_compile_compile(shared, &k, &b, NULL), 0);
	assert_ptr_equal(nft_desc_set_find(a, "blocked"), nft_desc_set_find(b, "blocked"));
	assert_ptr_equal(k.firewall, in->firewall);
	assert_int_equal(in->firewall->refs, 3);
	assert_int_equal(nft_compile_compile(changed, &k, &c, NULL), 0);
	assert_ptr_not_equal(nft_desc_set_find(a, "blocked"), nft_desc_set_find(c, "blocked"));
	assert_ptr_equal(k.firewall, changed->firewall);
	assert_int_equal(in->firewall->refs, 2);

	nft_desc_free(a);
	nft_desc_free(b);
	nft_desc_free(c);
	intent_free(in);
	intent_free(shared);
	intent_free(changed);
	nft_compile_kept_done(&k);
	jr_unref(root);
	errlist_done(&errs);
}

/* ---- rules naming an IPsec tunnel ---- */

static size_t rules_in(const struct nft_desc *d, const char *chain)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_rules; i++)
		n += !strcmp(d->rules[i]->chain, chain);
	return n;
}


static const char tunnel_doc[] =
	"{\"version\": 1, \"generation\": 1, \"interfaces\": {"
	" \"wan\": {\"mac\": \"02:00:00:00:01:01\", \"addresses\": [\"203.0.113.1/24\"]},"
	" \"lan\": {\"mac\": \"02:00:00:00:01:02\", \"addresses\": [\"10.1.1.1/24\"]}},"
	"\"firewall\": {\"forward\": {\"rules\": ["
	"  {\"action\": \"accept\", \"in\": \"t1\", \"out\": \"lan\"},"
	"  {\"action\": \"accept\", \"in\": \"lan\", \"out\": [\"t1\", \"wan\"]},"
	"  {\"action\": \"drop\", \"in\": \"t1\", \"source\": [\"10.50.1.0/24\"]},"
	"  {\"action\": \"drop\", \"in\": \"t1\", \"source\": [\"10.50.2.0/24\"]},"
	"  {\"action\": \"drop\", \"in\": \"t1\", \"source\": [\"10.50.3.0/24\"]},"
	"  {\"action\": \"drop\", \"in\": \"t1\", \"source\": [\"10.50.4.0/24\"]}]}},"
	"\"vpn\": %s}";
static const char tunnel_vpn[] =
	"{\"ipsec\": {\"t1\": {\"local_address\": \"203.0.113.1\","
	" \"remote_address\": \"198.51.100.5\", \"psk\": \"%s\","
	" \"local_subnets\": [\"10.1.1.0/24\"], \"remote_subnets\": [%s]}}}";

/* The expressions of a rule, as "name" or "name:key" (meta, rt) separated by spaces. */
static void expr_names(const struct nft_desc_rule *r, struct strbuf *out)
{
	const struct nlattr *attr, *a, *b;

	strbuf_truncate(out, 0);
	mnl_attr_for_each_payload((const struct nlattr *)r->exprs, r->len)
	{
		const char *name = "";
		uint32_t key = UINT32_MAX;

		mnl_attr_for_each_nested(a, attr)
		{
			if (mnl_attr_get_type(a) == NFTA_EXPR_NAME)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) != NFTA_EXPR_DATA)
				continue;
			mnl_attr_for_each_nested(b, a)
			{
				if ((!strcmp(name, "meta") && mnl_attr_get_type(b) == NFTA_META_KEY) ||
				    (!strcmp(name, "rt") && mnl_attr_get_type(b) == NFTA_RT_KEY))
					key = ntohl(mnl_attr_get_u32(b));
			}
		}
		strbuf_printf(out, "%s%s", out->len ? " " : "", name);
		if (key != UINT32_MAX)
			strbuf_printf(out, ":%u", key);
	}
}

/* The expressions of the kernel rules of a tag, one line each. */
static char *tag_rules(const struct nft_desc *d, const char *tag)
{
	struct strbuf all = {0}, one = {0};
	size_t i;

	for (i = 0; i < d->n_rules; i++) {
		if (!d->rules[i]->tag || strcmp(d->rules[i]->tag, tag))
			continue;
		expr_names(d->rules[i], &one);
		strbuf_printf(&all, "%s\n", strbuf_str(&one));
	}
	strbuf_done(&one);
	return strbuf_steal(&all);
}

/* A rule naming an IPsec tunnel in `in` or `out` matches the traffic between its subnets that
 * either data path marks as IPsec (meta secpath, rt ipsec; libipsec's device ipsec0): one kernel
 * rule per path and family of the tunnel, beside the interfaces' own; such rules never go to
 * access-list maps (first match stays in order). */
static void test_rule_names_ipsec(void **state)
{
	_cleanup_free_ char *vpn = NULL, *doc = NULL, *in0 = NULL, *out1 = NULL;
	char want[512];
	struct nft_desc *d;
	size_t i, n;

	(void)state;
	assert_true(asprintf(&vpn, tunnel_vpn, "a-long-shared-secret", "\"10.50.0.0/16\"") > 0);
	assert_true(asprintf(&doc, tunnel_doc, vpn) > 0);
	d = compile_doc(doc);
	in0 = tag_rules(d, "fw-rule forward/0");
	out1 = tag_rules(d, "fw-rule forward/1");
	/* nfproto, the path's mark, the tunnel's remote then local subnet, oifname lan */
	snprintf(want, sizeof(want),
		 "meta:%u cmp meta:%u cmp payload bitwise cmp payload bitwise cmp meta:%u cmp "
		 "counter immediate\n"
		 "meta:%u cmp meta:%u cmp payload bitwise cmp payload bitwise cmp meta:%u cmp "
		 "counter immediate\n",
		 NFT_META_NFPROTO, NFT_META_SECPATH, NFT_META_OIFNAME, NFT_META_NFPROTO,
		 NFT_META_IIFNAME, NFT_META_OIFNAME);
	assert_string_equal(in0, want);
	/* the interface (both families), then t1 outbound through each path (IPv4 only) */
	snprintf(want, sizeof(want),
		 "meta:%u cmp meta:%u cmp counter immediate\n"
		 "meta:%u cmp meta:%u cmp rt:%u cmp payload bitwise cmp payload bitwise cmp "
		 "counter immediate\n"
		 "meta:%u cmp meta:%u cmp meta:%u cmp payload bitwise cmp payload bitwise cmp "
		 "counter immediate\n",
		 NFT_META_IIFNAME, NFT_META_OIFNAME, NFT_META_NFPROTO, NFT_META_IIFNAME,
		 NFT_RT_XFRM, NFT_META_NFPROTO, NFT_META_IIFNAME, NFT_META_OIFNAME);
	assert_string_equal(out1, want);
	for (i = 0; i < d->n_sets; i++)
		assert_null(strstr(d->sets[i]->name ? d->sets[i]->name : "", "_acl"));
	for (i = n = 0; i < d->n_rules; i++)
		n += d->rules[i]->tag && !strncmp(d->rules[i]->tag, "fw-rule forward/", 16);
	assert_int_equal(n, 2 + 3 + 4 * 2); /* rules 2-5: IPv4 (their source), each path */
	nft_desc_free(d);
}

/* The part kept for a firewall section is compiled again when the IPsec tunnels' subnets
 * change, and only then: a tunnel's other fields leave it as it is. */
static void test_firewall_part_follows_tunnels(void **state)
{
	_cleanup_free_ char *v1 = NULL, *v2 = NULL, *v3 = NULL, *doc = NULL;
	struct errlist errs = {0};
	struct json_t *root = NULL, *psk = NULL, *subnets = NULL;
	struct intent *in = NULL, *other_psk = NULL, *other_subnets = NULL;
	struct nft_desc *a = NULL, *b = NULL, *c = NULL;
	struct nft_compile_kept k = {0};

	(void)state;
	assert_true(asprintf(&v1, tunnel_vpn, "a-long-shared-secret", "\"10.50.0.0/16\"") > 0);
	assert_true(asprintf(&v2, tunnel_vpn, "another-long-secret", "\"10.50.0.0/16\"") > 0);
	assert_true(asprintf(&v3, tunnel_vpn, "a-long-shared-secret", "\"10.60.0.0/16\"") > 0);
	assert_true(asprintf(&doc, tunnel_doc, v1) > 0);
	assert_int_equal(jr_load(&errs, doc, strlen(doc), &root), 0);
	assert_int_equal(intent_load_tree(root, &in, &errs), 0);
	/* the same members (the firewall's value the same), another vpn */
	psk = json_copy(root);
	subnets = json_copy(root);
	assert_int_equal(json_object_set_new(psk, "vpn", json_loads(v2, 0, NULL)), 0);
	assert_int_equal(json_object_set_new(subnets, "vpn", json_loads(v3, 0, NULL)), 0);
	assert_int_equal(intent_load_tree_from(psk, root, in, &other_psk, &errs), 0);
	assert_int_equal(intent_load_tree_from(subnets, root, in, &other_subnets, &errs), 0);
	assert_ptr_equal(other_psk->firewall, in->firewall);
	assert_ptr_equal(other_subnets->firewall, in->firewall);

	assert_int_equal(nft_compile_compile(in, &k, &a, NULL), 0);
	assert_int_equal(nft_compile_compile(other_psk, &k, &b, NULL), 0);
	assert_ptr_equal(nth_rule(a, "forward", 4), nth_rule(b, "forward", 4));
	assert_int_equal(nft_compile_compile(other_subnets, &k, &c, NULL), 0);
	assert_ptr_not_equal(nth_rule(a, "forward", 4), nth_rule(c, "forward", 4));
	assert_int_not_equal(nth_rule(a, "forward", 4)->len == nth_rule(c, "forward", 4)->len &&
				 !memcmp(nth_rule(a, "forward", 4)->exprs,
					 nth_rule(c, "forward", 4)->exprs,
					 nth_rule(a, "forward", 4)->len),
			     1);

	nft_desc_free(a);
	nft_desc_free(b);
	nft_desc_free(c);
	intent_free(in);
	intent_free(other_psk);
	intent_free(other_subnets);
	nft_compile_kept_done(&k);
	json_decref(psk);
	json_decref(subnets);
	jr_unref(root);
	errlist_done(&errs);
}

static void test_compile_table(void **state)
{
	struct nft_desc *d = compile("\"192.0.2.7\", \"198.51.100.0/24\"");
	const struct nft_desc_set *s;
	size_t i;

	assert_int_equal(d->n_chains, 5);
	assert_string_equal(d->chains[0].name, "input");
	assert_int_equal(d->chains[0].policy, 0 /* NF_DROP */);
	assert_string_equal(d->chains[0].tag, "fw-chain input");
	assert_string_equal(d->chains[4].name, "srcnat");
	/* input: 7 always-on (with ssh on mgmt); rule 0 has two alternatives (the literal
	 * prefix, the set), each a log rule and a verdict rule; rule 1 one rule */
	assert_int_equal(rules_in(d, "input"), 7 + 4 + 1);
	assert_non_null(nth_rule(d, "input", 7));
	assert_string_equal(nth_rule(d, "input", 7)->tag, "fw-rule input/0");
	assert_string_equal(nth_rule(d, "input", 7)->ptr, "/firewall/input/rules/0");
	assert_int_equal(rules_in(d, "dstnat"), 1); /* one map lookup for every forward */
	assert_int_equal(rules_in(d, "srcnat"), 2); /* hairpin, masquerade */
	/* the always-on rules that count are named; the others have no label */
	assert_string_equal(nth_rule(d, "input", 0)->tag, "builtin:input/established");
	assert_null(nth_rule(d, "input", 0)->ptr);
	assert_string_equal(nth_rule(d, "input", 1)->tag, "builtin:input/invalid");
	assert_null(nth_rule(d, "input", 2)->tag); /* loopback */
	assert_string_equal(nth_rule(d, "input", 6)->tag, "builtin:input/ssh");
	assert_string_equal(nth_rule(d, "forward", 0)->tag, "builtin:forward/established");
	assert_string_equal(nth_rule(d, "srcnat", 0)->tag, "builtin:srcnat/hairpin");
	/* a drop policy counts what it drops (the chain's counter), an accept policy nothing */
	assert_true(d->chains[0].counters);
	assert_true(d->chains[1].counters); /* forward: drop by default */
	assert_string_equal(d->chains[2].name, "output");
	assert_false(d->chains[2].counters);
	assert_false(d->chains[3].counters); /* dstnat */
	s = nft_desc_set_find(d, "blocked");
	assert_non_null(s);
	assert_true(s->plan_elements);
	assert_int_equal(s->n, 4); /* two intervals: start and end elements */
	s = nft_desc_set_find(d, "_pf4");
	assert_non_null(s);
	assert_true(s->counters); /* each forward's connections, for status */
	assert_int_equal(s->n, 20); /* 10 ports, tcp and udp, one element each */
	assert_int_equal(s->key_len, 12);
	assert_int_equal(s->data_len, 8);
	assert_null(nft_desc_set_find(d, "_open4")); /* no forward of a single port */
	s = nft_desc_set_find(d, "_openr4");
	assert_non_null(s);
	assert_false(s->counters); /* the same connections again: not counted twice */
	assert_int_equal(s->n, 2);
	assert_null(nft_desc_set_find(d, "_pf6"));
	assert_non_null(nft_desc_set_find(d, "_lan4"));
	assert_null(nft_desc_set_find(d, "_lan6")); /* no IPv6 DNAT, no IPv6 hairpin */
	/* nothing but what the intent asks for: no set of the agent's records */
	for (i = 0; i < d->n_sets; i++)
		assert_true(strncmp(d->sets[i]->name, "_objects", strlen("_objects")));
	nft_desc_free(d);
}

/* SSH to the management interface: from any source, or a rule per family of the firewall's
 * management_sources. */
static void test_ssh_sources(void **state)
{
	static const char *const with[] = {
	    "",
	    "\"management_sources\": [\"192.168.100.2\", \"fd00:9::/48\", \"10.0.0.0/8\"], ",
	    "\"management_sources\": [\"192.168.100.2\"], ",
	};
	static const size_t n_ssh[] = {1, 2, 1};
	size_t k, i;

	(void)state;
	for (k = 0; k < sizeof(with) / sizeof(with[0]); k++) {
		_cleanup_free_ char *doc = NULL, *in = NULL;
		struct nft_desc *d;
		const char *p;
		size_t n = 0;

		assert_true(asprintf(&doc, base, "\"192.0.2.7\"") > 0);
		p = strstr(doc, "\"firewall\": {");
		assert_non_null(p);
		p += strlen("\"firewall\": {");
		assert_true(asprintf(&in, "%.*s%s%s", (int)(p - doc), doc, with[k], p) > 0);
		d = compile_doc(in);
		for (i = 0; i < d->n_rules; i++)
			n += d->rules[i]->tag && !strcmp(d->rules[i]->tag, "builtin:input/ssh");
		assert_int_equal(n, n_ssh[k]);
		assert_int_equal(rules_in(d, "input"), 6 + n_ssh[k] + 4 + 1);
		assert_string_equal(nth_rule(d, "input", 6 + n_ssh[k])->tag, "fw-rule input/0");
		nft_desc_free(d);
	}
}

/* The counters status shows, from the labels of what counted (nft-counters.h). */
static void test_counter_labels(void **state)
{
	static const struct {
		const char *label; /* NULL: the input chain's policy */
		uint64_t packets;
	} in[] = {
	    {"builtin:input/established", 10},
	    {"builtin:input/ike", 1},
	    {"builtin:input/esp", 2},
	    {"builtin:input/ike", 4}, /* the IPv6 rule of the same name, apart */
	    {"fw-rule input/0 /firewall/input/rules/0 ping", 1},
	    {"fw-rule input/0 /firewall/input/rules/0 ping", 2}, /* the rule's second kernel rule */
	    {"fw-rule input/1 /firewall/input/rules/1", 5},
	    {NULL, 7},
	    {"not a label of ours", 100},
	    {"nat-rule snat/0 /nat/source/0", 3},
	    {"nat-rule dnat/public/203.0.113.11/tcp/8000", 1},
	    {"nat-rule dnat/public/203.0.113.11/tcp/8000", 1}, /* its udp element */
	    {"nat-rule one-to-one/203.0.113.12", 2},
	};
	static const char *const want[] = {
	    "fw-rule builtin:input/established - 10 builtin",
	    "fw-rule builtin:input/ike - 5 builtin",
	    "fw-rule builtin:input/esp - 2 builtin",
	    "fw-rule input/0 /firewall/input/rules/0 3 ping",
	    "fw-rule input/1 /firewall/input/rules/1 5",
	    "fw-rule builtin:input/policy-drop - 7 builtin",
	    "nat-rule snat/0 /nat/source/0 3",
	    "nat-rule dnat/public/203.0.113.11/tcp/8000 - 2",
	    "nat-rule one-to-one/203.0.113.12 - 2",
	};
	struct counterlist l = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(in[i].label ? nft_counters_add(&l, in[i].label, in[i].packets,
								  10 * in[i].packets)
					     : nft_counters_add_policy(&l, "input", in[i].packets,
								       10 * in[i].packets),
				 0);
	assert_int_equal(l.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < l.n; i++) {
		const struct counter *c = &l.v[i];
		char line[160];

		assert_int_equal(c->rx.bytes, 10 * c->rx.packets);
		snprintf(line, sizeof(line), "%s %s %s %llu%s%s", object_kind_to_string(c->kind),
			 c->name, c->pointer ? c->pointer : "-", (unsigned long long)c->rx.packets,
			 c->comment || c->builtin ? " " : "",
			 c->comment ? c->comment : c->builtin ? "builtin" : "");
		assert_string_equal(line, want[i]);
	}
	counterlist_done(&l);
}

static void test_fingerprint(void **state)
{
	struct nft_desc *a = compile("\"192.0.2.7\""),
			*b = compile("\"192.0.2.8\", \"192.0.2.64/26\"");
	struct nft_desc *c = compile("\"192.0.2.7\"");
	char fa[17], fb[17], fc[17];

	assert_int_equal(nft_desc_fingerprint(a, fa), 0);
	assert_int_equal(nft_desc_fingerprint(b, fb), 0);
	assert_int_equal(nft_desc_fingerprint(c, fc), 0);
	assert_string_equal(fa, fc); /* deterministic */
	assert_string_equal(fa, fb); /* the intent's set elements do not count */
	nft_desc_free(a);
	nft_desc_free(b);
	nft_desc_free(c);
	/* A forward's ports: map elements, not the structure. A new rule: the structure. */
	a = compile_with("\"192.0.2.7\"", "6000-6009", NULL);
	b = compile_with("\"192.0.2.7\"", NULL,
			 "{\"action\": \"accept\", \"protocol\": \"udp\", \"ports\": [53]}");
	assert_int_equal(nft_desc_fingerprint(a, fb), 0);
	assert_string_equal(fa, fb);
	assert_int_equal(nft_desc_fingerprint(b, fb), 0);
	assert_string_not_equal(fa, fb);
	nft_desc_free(a);
	nft_desc_free(b);
}

static void test_rule_labels(void **state)
{
	struct nft_desc *d = compile_with(
	    "\"192.0.2.7\"", NULL,
	    "{\"action\": \"accept\", \"protocol\": \"udp\", \"comment\": \"dns and more\"}");
	const struct nft_desc_rule *r = NULL;
	size_t i;

	for (i = 0; i < d->n_rules; i++)
		if (d->rules[i]->tag && !strcmp(d->rules[i]->tag, "fw-rule input/2"))
			r = d->rules[i];
	assert_non_null(r);
	assert_string_equal(r->ptr, "/firewall/input/rules/2");
	assert_string_equal(r->note, "dns and more");
	assert_int_equal(
	    nft_desc_label_tag_len("fw-rule input/2 /firewall/input/rules/2 dns and more"), 15);
	assert_int_equal(nft_desc_label_tag_len("fw-chain input"), 14);
	assert_int_equal(nft_desc_label_tag_len("nothing"), 7);
	nft_desc_free(d);
}

/* Whether element i of s repeats an earlier one (the kernel holds it once). */
static bool repeated(const struct nft_desc_set *s, size_t i)
{
	size_t j, stride = nft_desc_set_stride(s);

	for (j = 0; j < i; j++)
		if (!memcmp(s->bytes + j * stride, s->bytes + i * stride, stride) &&
		    s->eflags[j] == s->eflags[i])
			return true;
	return false;
}

/* The kernel's view of a described set: its elements as observe reads them. */
static void observe_as_is(const struct nft_desc_set *s, struct nft_observed_set *ret)
{
	size_t i, stride = nft_desc_set_stride(s);

	*ret = (struct nft_observed_set){.key_len = s->key_len, .data_len = s->data_len};
	ret->elems = calloc(s->n ? s->n : 1, sizeof(*ret->elems));
	assert_non_null(ret->elems);
	for (i = 0; i < s->n; i++) {
		struct nft_observed_elem *e = &ret->elems[ret->n];
		const uint8_t *p = s->bytes + i * stride;

		if (repeated(s, i))
			continue;
		ret->n++;

		memcpy(e->key, p, s->key_len);
		memcpy(e->key_end, p + s->key_len, s->key_len);
		e->has_key_end = nft_desc_set_concat_interval(s);
		memcpy(e->data, p + 2 * s->key_len, s->data_len);
		e->has_data = s->data_len > 0;
		e->flags = s->eflags[i];
		e->comment = s->comments[i] ? strdup(s->comments[i]) : NULL;
	}
}

static void observed_free(struct nft_observed_set *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->elems[i].comment);
	free(o->elems);
}

static void test_diff(void **state)
{
	struct nft_desc *a = compile("\"192.0.2.7\"");
	struct nft_desc *b = compile_with("\"192.0.2.7\"", "6000-6009", NULL);
	struct nft_observed_set have;
	struct nftdiff l = {0};
	size_t i, adds = 0;

	/* Same set: nothing to do. */
	observe_as_is(nft_desc_set_find(a, "_pf4"), &have);
	assert_int_equal(nft_diff_set(nft_desc_set_find(a, "_pf4"), &have, &l), 0);
	assert_int_equal(l.n, 0);
	/* 8000-8009 -> 6000-6009: 20 elements out (first), 20 in, with their values. */
	assert_int_equal(nft_diff_set(nft_desc_set_find(b, "_pf4"), &have, &l), 0);
	assert_int_equal(l.n, 40);
	for (i = 0; i < l.n; i++) {
		const char *c = l.v[i].comment;

		assert_int_equal(l.v[i].add, i >= 20);
		adds += l.v[i].add && l.v[i].has_data && c &&
			!strcmp(c, "nat-rule dnat/public/203.0.113.11/tcp_udp/6000") &&
			!strcmp(l.v[i].ptr, "/nat/destination/0");
	}
	assert_int_equal(adds, 20);
	observed_free(&have);
	/* An empty kernel set: everything added; the same element twice: once. */
	nft_diff_reset(&l);
	assert_int_equal(nft_diff_set(nft_desc_set_find(a, "_openr4"), NULL, &l), 0);
	assert_int_equal(l.n, 2); /* tcp and udp, each an interval of ports */
	assert_true(l.v[0].has_key_end);
	nft_diff_reset(&l);
	/* _lan4: mgmt, lan and public twice (two addresses in 203.0.113.0/24) */
	assert_int_equal(nft_desc_set_find(a, "_lan4")->n, 4);
	assert_int_equal(nft_diff_set(nft_desc_set_find(a, "_lan4"), NULL, &l), 0);
	assert_int_equal(l.n, 3);
	nft_diff_done(&l);
	nft_desc_free(a);
	nft_desc_free(b);
}

/* A forward inserted before the others: its own elements are added, nothing else changes in
 * any of the table's own named sets (keys by content, not by place). */
static void test_forward_inserted(void **state)
{
	struct nft_desc *a = compile("\"192.0.2.7\""), *b;
	struct nftdiff l = {0};
	size_t i, j, adds = 0;

	b = compile_with_forward(
	    "{\"in\": \"public\", \"destination\": \"203.0.113.11\","
	    " \"protocol\": \"tcp\", \"ports\": \"443-444\", \"to\": \"10.1.1.6\","
	    " \"to_ports\": \"8443-8444\"}",
	    true);
	for (i = 0; i < b->n_sets; i++) {
		const struct nft_desc_set *s = b->sets[i];
		struct nft_observed_set have;

		if (s->flags & NFT_SET_ANONYMOUS || s->plan_elements)
			continue;
		observe_as_is(nft_desc_set_find(a, s->name), &have);
		nft_diff_reset(&l);
		assert_int_equal(nft_diff_set(s, &have, &l), 0);
		for (j = 0; j < l.n; j++) {
			const char *c = l.v[j].comment;

			assert_true(l.v[j].add);
			assert_non_null(c);
			assert_string_equal(c, "nat-rule dnat/public/203.0.113.11/tcp/443");
		}
		adds += l.n;
		observed_free(&have);
	}
	/* _pf4 (two ports), _openr4 (the range) */
	assert_int_equal(adds, 3);
	nft_diff_done(&l);
	nft_desc_free(a);
	nft_desc_free(b);
}

/* The base intent with a forward of one port to the same port (_pfr4, _open4) put first or
 * last among the forwards (the base's is a range to other ports: _pf4, _openr4). */
static struct nft_desc *compile_forward_at(bool first)
{
	return compile_with_forward("{\"in\": \"public\", \"destination\": \"203.0.113.11\","
				    " \"protocol\": \"tcp\", \"ports\": 443, \"to\": \"10.1.1.6\"}",
				    first);
}

/* A forward of the other kind inserted first: the same sets in the same order, the same
 * structure (an element-only batch), whatever the order of the entries. */
static void test_nat_sets_order(void **state)
{
	static const char *const names[] = {"_open4", "_openr4", "_pf4", "_pfr4"};
	struct nft_desc *a = compile_forward_at(false), *b = compile_forward_at(true);
	char fa[17], fb[17];
	size_t i, k;

	(void)state;
	assert_int_equal(a->n_sets, b->n_sets);
	for (i = 0; i < a->n_sets; i++)
		assert_string_equal(a->sets[i]->name, b->sets[i]->name);
	for (k = 0; k < sizeof(names) / sizeof(*names); k++) {
		assert_non_null(nft_desc_set_find(a, names[k]));
		assert_int_equal(nft_desc_set_find(a, names[k])->n,
				 nft_desc_set_find(b, names[k])->n);
	}
	assert_int_equal(nft_desc_set_find(a, "_open4")->n, 1);	 /* tcp 443 */
	assert_int_equal(nft_desc_set_find(a, "_openr4")->n, 2); /* 8000-8009, tcp and udp */
	assert_int_equal(nft_desc_fingerprint(a, fa), 0);
	assert_int_equal(nft_desc_fingerprint(b, fb), 0);
	assert_string_equal(fa, fb);
	nft_desc_free(a);
	nft_desc_free(b);
}

/* Named hash sets are declared with room for twice the next power of two of their elements:
 * the size moves only when the count crosses a power of two. */
static void test_hash_size(void **state)
{
	(void)state;
	assert_int_equal(nft_desc_hash_size(0), 128);
	assert_int_equal(nft_desc_hash_size(64), 128);
	assert_int_equal(nft_desc_hash_size(65), 256);
	assert_int_equal(nft_desc_hash_size(128), 256);
	assert_int_equal(nft_desc_hash_size(1000), 2048);
	assert_int_equal(nft_desc_hash_size(12012), 32768);
	assert_int_equal(nft_desc_hash_size((size_t)UINT32_MAX), UINT32_MAX);
}

/* The elements of forwards and one-to-one entries carry their object's tag and nothing else
 * (its record stays out of the kernel: nft-records.h), however long the addresses. */
static void test_nat_labels(void **state)
{
	static const char o2o[] =
	    "], \"one_to_one\": [{\"interface\": \"public\", \"public\": \"203.0.113.12\","
	    " \"private\": \"10.1.1.6\"}, {\"interface\": \"public\","
	    " \"public\": \"fd00:1::aaaa:bbbb:cccc:dddd\","
	    " \"private\": \"fd00:2::aaaa:bbbb:cccc:dddd\"}]}}";
	static const char addrs[] = ", \"203.0.113.12/24\", \"fd00:1::aaaa:bbbb:cccc:dddd/64\"";
	_cleanup_free_ char *doc = NULL, *with = NULL, *more = NULL;
	const struct nft_desc_set *pf, *od4, *od6;
	struct nft_desc *d;
	size_t i;
	char *p;

	(void)state;
	assert_true(asprintf(&doc, base, "\"192.0.2.7\"") > 0);
	p = doc + strlen(doc) - strlen("]}}");
	assert_string_equal(p, "]}}");
	assert_true(asprintf(&with, "%.*s%s", (int)(p - doc), doc, o2o) > 0);
	/* the public addresses on the interface */
	p = strstr(with, "\"fd00:1::1/64\"");
	assert_non_null(p);
	p += strlen("\"fd00:1::1/64\"");
	assert_true(asprintf(&more, "%.*s%s%s", (int)(p - with), with, addrs, p) > 0);
	d = compile_doc(more);
	pf = nft_desc_set_find(d, "_pf4");
	od4 = nft_desc_set_find(d, "_o2od4");
	od6 = nft_desc_set_find(d, "_o2od6");
	assert_non_null(pf);
	assert_non_null(od4);
	assert_non_null(od6);
	for (i = 0; i < pf->n; i++)
		assert_string_equal(pf->comments[i],
				    "nat-rule dnat/public/203.0.113.11/tcp_udp/8000");
	assert_string_equal(od4->comments[0], "nat-rule one-to-one/203.0.113.12");
	assert_string_equal(od6->comments[0], "nat-rule one-to-one/fd00:1::aaaa:bbbb:cccc:dddd");
	nft_desc_free(d);
}

/* ---- access lists as verdict maps ---- */

#define ACL_RULES(action3)                                                                        \
	"{\"action\": \"drop\", \"in\": \"public\", \"source\": [\"192.0.2.0/28\"],"             \
	" \"protocol\": \"tcp\", \"ports\": [22], \"comment\": \"two\"},"                         \
	"{\"action\": \"" action3 "\", \"in\": \"public\", \"source\": [\"192.0.2.16/28\"],"      \
	" \"protocol\": \"tcp\", \"ports\": [22, 80]},"                                           \
	"{\"action\": \"accept\", \"in\": \"public\", \"source\": [\"192.0.2.32/28\"],"          \
	" \"protocol\": \"udp\", \"ports\": [53]},"                                               \
	"{\"action\": \"reject\", \"in\": \"lan\", \"source\": [\"192.0.2.48/28\"],"             \
	" \"protocol\": \"tcp\", \"ports\": [22]},"                                               \
	"{\"action\": \"drop\", \"in\": \"public\", \"source\": [\"192.0.2.0/24\"],"             \
	" \"protocol\": \"tcp\", \"ports\": [22]},"                                               \
	"{\"action\": \"accept\", \"in\": \"public\", \"source\": [\"10.0.0.0/8\", \"10.1.0.0/16\"]," \
	" \"protocol\": \"tcp\", \"ports\": [80]},"                                               \
	"{\"action\": \"accept\", \"in\": \"public\", \"source\": [\"10.2.0.0/16\"],"            \
	" \"protocol\": \"tcp\", \"ports\": [80]}"

static const struct nft_desc_rule *rule_tagged(const struct nft_desc *d, const char *tag,
					       size_t *at)
{
	size_t i;

	for (i = 0; i < d->n_rules; i++)
		if (d->rules[i]->tag && !strcmp(d->rules[i]->tag, tag)) {
			if (at)
				*at = i;
			return d->rules[i];
		}
	return NULL;
}

/* Input rules 2-5 (after the base's 0 and 1) are disjoint and of one shape: maps by input
 * interface and protocol (public/tcp: 2 and 3, public/udp: 4, lan/tcp: 5). Rule 6 overlaps
 * rule 2 and ends the run; rule 7 overlaps itself and stays a rule; rule 8 alone is too short
 * a run. A changed action changes an element only. */
static void test_acl_maps(void **state)
{
	struct nft_desc *d = compile_with("\"192.0.2.7\"", NULL, ACL_RULES("accept"));
	struct nft_desc *drop = compile_with("\"192.0.2.7\"", NULL, ACL_RULES("drop"));
	const struct nft_desc_set *s;
	char fp[17], fp_drop[17];
	int32_t code;
	size_t i, n, at6 = 0;

	s = nft_desc_set_find(d, "_aclinput_0");
	assert_non_null(s);
	assert_true(s->counters);
	assert_int_equal(s->data_type, NFT_DATA_VERDICT);
	assert_int_equal(s->n, 3); /* rule 2, rule 3's two ports */
	assert_string_equal(s->comments[0], "fw-rule input/2 /firewall/input/rules/2 two");
	memcpy(&code, s->bytes + 2 * s->key_len, sizeof(code));
	assert_int_equal(code, NF_DROP);
	assert_string_equal(s->comments[1], "fw-rule input/3 /firewall/input/rules/3");
	assert_string_equal(s->comments[2], "fw-rule input/3 /firewall/input/rules/3");
	assert_string_equal(s->eptrs[1], "/firewall/input/rules/3");
	assert_int_equal(s->key_len, 8); /* saddr . dport: interfaces and protocol matched before */
	s = nft_desc_set_find(d, "_aclinput_1");
	assert_non_null(s);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->comments[0], "fw-rule input/4 /firewall/input/rules/4");
	s = nft_desc_set_find(d, "_aclinput_2");
	assert_non_null(s);
	assert_int_equal(s->n, 1);
	memcpy(&code, s->bytes + 2 * s->key_len, sizeof(code));
	assert_int_equal(code, NFT_GOTO);
	assert_string_equal((const char *)s->bytes + 2 * s->key_len + 4, "_reject_tcp");
	assert_null(nft_desc_set_find(d, "_aclinput_3"));
	for (i = 2; i <= 5; i++) {
		char tag[32];

		snprintf(tag, sizeof(tag), "fw-rule input/%zu", i);
		assert_null(rule_tagged(d, tag, NULL));
	}
	/* the three map rules, then rule 6, 7 and 8 as rules */
	assert_non_null(rule_tagged(d, "fw-rule input/6", &at6));
	assert_non_null(rule_tagged(d, "fw-rule input/7", NULL));
	assert_non_null(rule_tagged(d, "fw-rule input/8", NULL));
	assert_true(at6 >= 3);
	for (i = at6 - 3; i < at6; i++) {
		assert_string_equal(d->rules[i]->chain, "input");
		assert_null(d->rules[i]->tag);
	}
	assert_non_null(rule_tagged(d, "fw-rule input/1", &i));
	for (n = 0, i++; i < at6; i++)
		n += !strcmp(d->rules[i]->chain, "input");
	assert_int_equal(n, 3);
	assert_int_equal(rules_in(d, "_reject_tcp"), 1);
	assert_int_equal(rules_in(d, "_reject"), 1);
	/* rule 3 accept -> drop: the same structure, other elements */
	assert_int_equal(nft_desc_fingerprint(d, fp), 0);
	assert_int_equal(nft_desc_fingerprint(drop, fp_drop), 0);
	assert_string_equal(fp, fp_drop);
	s = nft_desc_set_find(drop, "_aclinput_0");
	memcpy(&code, s->bytes + nft_desc_set_stride(s) + 2 * s->key_len, sizeof(code));
	assert_int_equal(code, NF_DROP);
	nft_desc_free(d);
	nft_desc_free(drop);
}

/* A forward chain of 5,000 rules, every other one in by lan (two maps), every third with two
 * ports (two elements), disjoint but for the last, which matches what rule 1 matches. Every
 * rule but the last has its elements in its map in order, each with its own label; the last
 * stays a rule, after the maps (the overlap with a rule 4,998 places before it was seen); every
 * rule's plan object is its own. */
static void test_acl_long_run(void **state)
{
	enum { N = 5000 };
	struct strbuf rules = {0};
	struct objset objs = {0};
	struct errlist errs = {0};
	_cleanup_free_ char *doc = NULL;
	struct intent *in = NULL;
	struct nft_desc *d = NULL;
	size_t i, r;
	int m;

	(void)state;
	strbuf_append(&rules, "\"forward\": {\"policy\": \"drop\", \"rules\": [");
	for (i = 0; i < N; i++) {
		size_t like = i == N - 1 ? 1 : i;

		strbuf_printf(&rules,
			      "%s{\"action\": \"accept\", \"in\": \"%s\", \"source\": "
			      "[\"10.%zu.%zu.1\"], \"protocol\": \"tcp\", \"ports\": [%zu%s]}",
			      i ? ", " : "", like % 2 ? "lan" : "public", like / 250, like % 250,
			      1000 + like % 1000, like % 3 ? "" : ", 5000");
	}
	strbuf_append(&rules, "]}");
	assert_false(rules.oom);
	assert_true(asprintf(&doc, base, "\"192.0.2.7\"") > 0);
	{
		char *p = strstr(doc, "},\"nat\""), *with; /* the firewall section's end */

		assert_non_null(p);
		assert_true(
		    asprintf(&with, "%.*s, %s%s", (int)(p - doc), doc, strbuf_str(&rules), p) > 0);
		free(doc);
		doc = with;
	}
	if (intent_load(doc, strlen(doc), &in, &errs) < 0)
		errlist_print(&errs, stderr);
	assert_int_equal(errs.n, 0);
	assert_int_equal(nft_compile_compile(in, NULL, &d, &objs), 0);
	for (m = 0; m < 2; m++) {
		char name[32];
		const struct nft_desc_set *s;

		snprintf(name, sizeof(name), "_aclforward_%d", m);
		s = nft_desc_set_find(d, name);
		assert_non_null(s);
		/* rules m, m + 2, ...: one element each, two for every third rule */
		for (i = 0, r = (size_t)m; r < N - 1; r += 2) {
			char label[96];
			size_t e, n = r % 3 ? 1 : 2;

			snprintf(label, sizeof(label),
				 "fw-rule forward/%zu /firewall/forward/rules/%zu", r, r);
			for (e = 0; e < n; e++, i++) {
				assert_true(i < s->n);
				assert_string_equal(s->comments[i], label);
			}
		}
		assert_int_equal(i, s->n);
	}
	assert_null(nft_desc_set_find(d, "_aclforward_2"));
	assert_non_null(rule_tagged(d, "fw-rule forward/4999", &i));
	assert_true(i + 1 == d->n_rules || strcmp(d->rules[i + 1]->chain, "forward"));
	for (i = 0; i < N; i++) {
		char key[32], addr[64], ptr[48];
		size_t like = i == N - 1 ? 1 : i;
		const struct object *o;

		snprintf(key, sizeof(key), "forward/%zu", i);
		snprintf(addr, sizeof(addr), "ip saddr 10.%zu.%zu.1 ", like / 250, like % 250);
		snprintf(ptr, sizeof(ptr), "/firewall/forward/rules/%zu", i);
		o = objset_get(&objs, OBJ_FW_RULE, key);
		assert_non_null(o);
		assert_non_null(strstr(o->attrs, addr));
		assert_string_equal(o->ptr, ptr);
	}
	objset_done(&objs);
	nft_desc_free(d);
	intent_free(in);
	errlist_done(&errs);
	strbuf_done(&rules);
}

/* A run of forward rules of two interface pairs, each pair with a tcp and a udp map: one
 * dispatch map on the pair, its two chains holding the map rules without interface matches,
 * one rule in forward. */
static void test_acl_pairs(void **state)
{
	static const char rules[] =
	    "\"forward\": {\"policy\": \"drop\", \"rules\": ["
	    "{\"action\": \"accept\", \"in\": \"public\", \"out\": \"lan\", \"source\": [\"10.9.0.1\"], \"protocol\": \"tcp\", \"ports\": [1]},"
	    "{\"action\": \"drop\", \"in\": \"lan\", \"out\": \"public\", \"source\": [\"10.9.0.2\"], \"protocol\": \"tcp\", \"ports\": [2]},"
	    "{\"action\": \"reject\", \"in\": \"public\", \"out\": \"lan\", \"source\": [\"10.9.0.3\"], \"protocol\": \"udp\", \"ports\": [3]},"
	    "{\"action\": \"accept\", \"in\": \"lan\", \"out\": \"public\", \"source\": [\"10.9.0.0/30\"], \"protocol\": \"udp\", \"ports\": [\"4-5\"]}]}";
	_cleanup_free_ char *doc = NULL, *with = NULL;
	const struct nft_desc_set *s;
	size_t i, in_forward = 0, in_pair[2] = {0, 0};
	struct nft_desc *d;
	char *p;

	(void)state;
	assert_true(asprintf(&doc, base, "\"192.0.2.7\"") > 0);
	p = strstr(doc, "},\"nat\""); /* the firewall section's end */
	assert_non_null(p);
	assert_true(asprintf(&with, "%.*s, %s%s", (int)(p - doc), doc, rules, p) > 0);
	d = compile_doc(with);
	s = nft_desc_set_find(d, "_pairsforward_0");
	assert_non_null(s);
	assert_int_equal(s->n, 2);
	for (i = 0; i < d->n_rules; i++) {
		const char *chain = d->rules[i]->chain;

		in_forward += !strcmp(chain, "forward");
		in_pair[0] += !strcmp(chain, "_forward_1");
		in_pair[1] += !strcmp(chain, "_forward_2");
	}
	/* public->lan: a tcp and a udp hash map; lan->public: a tcp hash map and a udp interval
	 * map */
	assert_int_equal(in_pair[0], 2);
	assert_int_equal(in_pair[1], 2);
	assert_non_null(nft_desc_set_find(d, "_aclforward_6"));
	assert_null(nft_desc_set_find(d, "_aclforward_7"));
	assert_true(in_forward > 0);
	nft_desc_free(d);
}

/*
 * First match kept, on random access lists: rules drawn from a small space (overlaps
 * frequent; some with log or without a source, which stay rules), compiled; then for every
 * two rules that some packet matches both of (decided here from the rules themselves, not by
 * the compiler's code), the earlier one must be looked at first: its kernel rule, or the rule
 * that looks up its map, comes before the later one's (the same map would have no order).
 */
struct rand_rule {
	int action, in, proto, log; /* in: none, public, lan, both (rand_ifs); proto: -, tcp, udp */
	int src[2], n_src, dst, port[2], n_port; /* indexes in the tables below; dst -1: none */
};

static const struct {
	const char *text;
	uint32_t lo, hi; /* offsets from 10.0.0.0 */
} rand_prefixes[] = {{"10.0.0.0/30", 0, 3}, {"10.0.0.0/31", 0, 1}, {"10.0.0.1/32", 1, 1},
		     {"10.0.0.2/32", 2, 2}, {"10.0.0.4/30", 4, 7},  {"10.0.0.0/29", 0, 7},
		     {"10.0.0.8/32", 8, 8}, {"10.0.0.9/32", 9, 9},  {"10.0.0.10/31", 10, 11},
		     {"10.0.0.12/32", 12, 12}, {"10.0.0.13/32", 13, 13}, {"10.0.0.14/32", 14, 14},
		     {"10.0.0.15/32", 15, 15}, {"10.0.0.16/30", 16, 19}, {"10.0.0.20/30", 20, 23},
		     {"10.0.0.24/29", 24, 31}, {"10.0.0.17/32", 17, 17}};
static const struct {
	const char *text;
	unsigned lo, hi;
} rand_ports[] = {{"22", 22, 22}, {"80", 80, 80}, {"\"20-25\"", 20, 25}, {"\"80-81\"", 80, 81}};

static bool ranges_meet(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	return a <= d && c <= b;
}

/* The interfaces of "in" choice k (0: any). */
static unsigned rand_ifs(int k)
{
	static const unsigned bits[] = {3, 1, 2, 3}; /* public 1, lan 2 */

	return bits[k];
}

static bool rand_overlap(const struct rand_rule *x, const struct rand_rule *y)
{
	bool src = !x->n_src || !y->n_src, port = !x->n_port || !y->n_port;
	int i, j;

	if (!(rand_ifs(x->in) & rand_ifs(y->in)))
		return false;
	if (x->proto && y->proto && x->proto != y->proto)
		return false;
	if (x->dst >= 0 && y->dst >= 0 &&
	    !ranges_meet(rand_prefixes[x->dst].lo, rand_prefixes[x->dst].hi,
			 rand_prefixes[y->dst].lo, rand_prefixes[y->dst].hi))
		return false;
	for (i = 0; i < x->n_src; i++)
		for (j = 0; j < y->n_src; j++)
			src |= ranges_meet(rand_prefixes[x->src[i]].lo, rand_prefixes[x->src[i]].hi,
					   rand_prefixes[y->src[j]].lo, rand_prefixes[y->src[j]].hi);
	for (i = 0; i < x->n_port; i++)
		for (j = 0; j < y->n_port; j++)
			port |= ranges_meet(rand_ports[x->port[i]].lo, rand_ports[x->port[i]].hi,
					    rand_ports[y->port[j]].lo, rand_ports[y->port[j]].hi);
	return src && port;
}

static void rand_rule_json(const struct rand_rule *r, struct strbuf *b)
{
	static const char *const actions[] = {"accept", "drop", "reject"};
	static const char *const ins[] = {NULL, "\"public\"", "\"lan\"", "[\"public\", \"lan\"]"};
	static const char *const protos[] = {NULL, "tcp", "udp"};
	int i;

	strbuf_printf(b, "{\"action\": \"%s\"", actions[r->action]);
	if (r->in)
		strbuf_printf(b, ", \"in\": %s", ins[r->in]);
	if (r->n_src) {
		strbuf_append(b, ", \"source\": [");
		for (i = 0; i < r->n_src; i++)
			strbuf_printf(b, "%s\"%s\"", i ? ", " : "", rand_prefixes[r->src[i]].text);
		strbuf_append(b, "]");
	}
	if (r->dst >= 0)
		strbuf_printf(b, ", \"destination\": [\"%s\"]", rand_prefixes[r->dst].text);
	if (r->proto)
		strbuf_printf(b, ", \"protocol\": \"%s\"", protos[r->proto]);
	if (r->n_port) {
		strbuf_append(b, ", \"ports\": [");
		for (i = 0; i < r->n_port; i++)
			strbuf_printf(b, "%s%s", i ? ", " : "", rand_ports[r->port[i]].text);
		strbuf_append(b, "]");
	}
	if (r->log)
		strbuf_append(b, ", \"log\": true");
	strbuf_append(b, "}");
}

/* Where rule i of the input chain is looked at: its first kernel rule, or its map's rule. */
static size_t rand_position(const struct nft_desc *d, size_t i)
{
	char tag[32], ptr[48];
	size_t k, j, at = SIZE_MAX;

	snprintf(tag, sizeof(tag), "fw-rule input/%zu", i);
	snprintf(ptr, sizeof(ptr), "/firewall/input/rules/%zu", i);
	if (rule_tagged(d, tag, &at))
		return at;
	for (k = 0; k < d->n_sets; k++) {
		const struct nft_desc_set *s = d->sets[k];

		if (strncmp(s->name, NFT_DESC_ACL_PREFIX, strlen(NFT_DESC_ACL_PREFIX)))
			continue;
		for (j = 0; j < s->n; j++)
			if (!strcmp(s->eptrs[j], ptr))
				break;
		if (j == s->n)
			continue;
		for (j = 0; j < d->n_rules; j++)
			if (!d->rules[j]->tag && d->rules[j]->ptr && !strcmp(d->rules[j]->ptr, s->ptr))
				return j;
	}
	fail_msg("rule %zu is neither a rule nor in a map", i);
	return at;
}

static void test_acl_first_match(void **state)
{
	unsigned seed = 1, round, maps = 0;

	for (round = 0; round < 300; round++) {
		struct rand_rule r[24];
		struct strbuf more = {0};
		size_t n = 4 + rand_r(&seed) % 20, i, j;
		struct nft_desc *d;

		/* Most rules of a round share its shape (which fields they have), so that runs
		 * form; the rest are drawn freely. */
		struct rand_rule shape = {
			.in = (int)(rand_r(&seed) % 4),
			.proto = 1 + (int)(rand_r(&seed) % 2),
			.dst = rand_r(&seed) % 4 == 0 ? 6 : -1,
			.n_port = (int)(rand_r(&seed) % 2),
		};

		for (i = 0; i < n; i++) {
			struct rand_rule *x = &r[i];
			bool free_shape = rand_r(&seed) % 5 == 0;

			memset(x, 0, sizeof(*x));
			x->action = (int)(rand_r(&seed) % 3);
			x->in = free_shape ? (int)(rand_r(&seed) % 4) : shape.in;
			x->proto = free_shape ? (int)(rand_r(&seed) % 3)
					      : rand_r(&seed) % 2 ? shape.proto : 3 - shape.proto;
			x->log = rand_r(&seed) % 16 == 0;
			x->n_src = free_shape && rand_r(&seed) % 4 == 0 ? 0 : 1 + (int)(rand_r(&seed) % 2);
			for (j = 0; j < (size_t)x->n_src; j++)
				x->src[j] = (int)(rand_r(&seed) % (sizeof(rand_prefixes) /
								   sizeof(*rand_prefixes)));
			x->dst = free_shape && rand_r(&seed) % 4 == 0 ? (int)(rand_r(&seed) % 3) + 6
								       : shape.dst;
			x->n_port = x->proto && (free_shape ? rand_r(&seed) % 2 : shape.n_port)
					    ? 1 + (int)(rand_r(&seed) % 2)
					    : 0;
			for (j = 0; j < (size_t)x->n_port; j++)
				x->port[j] = (int)(rand_r(&seed) % 4);
			if (i)
				strbuf_append(&more, ", ");
			rand_rule_json(x, &more);
		}
		assert_false(more.oom);
		d = compile_with("\"192.0.2.7\"", NULL, strbuf_str(&more));
		for (i = 0; i < d->n_sets; i++)
			maps += !strncmp(d->sets[i]->name, NFT_DESC_ACL_PREFIX,
					 strlen(NFT_DESC_ACL_PREFIX));
		/* the base's input rules 0 and 1 come first; the random ones are 2.. */
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (rand_overlap(&r[i], &r[j]) &&
				    rand_position(d, i + 2) >= rand_position(d, j + 2))
					fail_msg("round %u: rules %zu and %zu overlap, but %zu is not "
						 "looked at first:\n%s",
						 round, i + 2, j + 2, i + 2, strbuf_str(&more));
		nft_desc_free(d);
		strbuf_done(&more);
	}
	assert_true(maps > 50); /* the maps were tried, not only rules */
}

/* 3,000 rules from one source, each to its own port, but the 1,501st to the first's: every
 * source interval stays open, more comparisons than a sweep along the source may make; the
 * sweep along the port finds the one overlap. Two maps, split where it is. */
static void test_acl_one_source(void **state)
{
	struct strbuf more = {0};
	const struct nft_desc_set *s;
	struct nft_desc *d;
	size_t i;

	for (i = 0; i < 3000; i++)
		strbuf_printf(&more,
			      "%s{\"action\": \"accept\", \"source\": [\"10.0.0.0/8\"],"
			      " \"protocol\": \"tcp\", \"ports\": [%zu]}",
			      i ? ", " : "", i == 1500 ? (size_t)1 : 1 + i);
	assert_false(more.oom);
	d = compile_with("\"192.0.2.7\"", NULL, strbuf_str(&more));
	s = nft_desc_set_find(d, "_aclinput_0");
	assert_non_null(s);
	assert_int_equal(s->n, 1500);
	s = nft_desc_set_find(d, "_aclinput_1");
	assert_non_null(s);
	assert_int_equal(s->n, 1500);
	assert_string_equal(s->eptrs[0], "/firewall/input/rules/1502");
	assert_null(nft_desc_set_find(d, "_aclinput_2"));
	nft_desc_free(d);
	strbuf_done(&more);
}

/* A run's rules whose elements are all single keys (a whole address, one port, the protocol
 * given) go to a hash map, the others to a map of intervals beside it; a rule without a
 * protocol in a key with the protocol is a range (0-255). */
static void test_acl_exact_maps(void **state)
{
	static const char more[] =
	    "{\"action\": \"accept\", \"in\": \"public\", \"source\": [\"10.0.0.1\"],"
	    " \"protocol\": \"tcp\", \"ports\": [80]},"
	    "{\"action\": \"drop\", \"in\": \"public\", \"source\": [\"10.0.0.2/32\"],"
	    " \"protocol\": \"tcp\", \"ports\": [81, 82]},"
	    "{\"action\": \"accept\", \"in\": \"public\", \"source\": [\"10.0.1.0/24\"],"
	    " \"protocol\": \"tcp\", \"ports\": [80]},"
	    "{\"action\": \"reject\", \"in\": \"public\", \"source\": [\"10.0.0.3\"],"
	    " \"protocol\": \"tcp\", \"ports\": [\"90-91\"]},"
	    "{\"action\": \"accept\", \"in\": \"public\", \"source\": [\"10.0.0.4\"],"
	    " \"protocol\": \"tcp\", \"ports\": [83]},"
	    "{\"action\": \"accept\", \"in\": \"lan\", \"source\": [\"10.3.0.1\"]},"
	    "{\"action\": \"accept\", \"in\": \"lan\", \"source\": [\"10.3.0.2\"]},"
	    "{\"action\": \"accept\", \"in\": \"lan\", \"source\": [\"10.3.0.3\"]},"
	    "{\"action\": \"accept\", \"in\": \"lan\", \"source\": [\"10.3.0.4\"]}";
	static const char *const exact[] = {"input/2", "input/3", "input/3", "input/6"};
	struct nft_desc *d = compile_with("\"192.0.2.7\"", NULL, more);
	const struct nft_desc_set *s;
	size_t i, j, lookups = 0, at[3] = {0};

	(void)state;
	s = nft_desc_set_find(d, "_aclinput_0");
	assert_non_null(s);
	assert_int_equal(s->flags, NFT_SET_MAP);
	assert_int_equal(s->n_fields, 0);
	assert_false(nft_desc_set_concat_interval(s));
	assert_true(s->counters);
	assert_int_equal(s->n, 4);
	for (i = 0; i < s->n; i++) {
		char label[64];
		const uint8_t *key_end = s->bytes + i * nft_desc_set_stride(s) + s->key_len;

		snprintf(label, sizeof(label), "fw-rule %s /firewall/input/rules/%s", exact[i],
			 exact[i] + strlen("input/"));
		assert_string_equal(s->comments[i], label);
		/* no interval end: what the kernel gives back for a hash element */
		for (j = 0; j < s->key_len; j++)
			assert_int_equal(key_end[j], 0);
	}
	s = nft_desc_set_find(d, "_aclinput_1");
	assert_non_null(s);
	assert_int_equal(s->flags, NFT_SET_MAP | NFT_SET_INTERVAL | NFT_SET_CONCAT);
	assert_true(nft_desc_set_concat_interval(s));
	assert_int_equal(s->n, 2);
	assert_string_equal(s->comments[0], "fw-rule input/4 /firewall/input/rules/4");
	assert_string_equal(s->comments[1], "fw-rule input/5 /firewall/input/rules/5");
	s = nft_desc_set_find(d, "_aclinput_2"); /* saddr . l4proto, the protocol 0-255 */
	assert_non_null(s);
	assert_true(nft_desc_set_concat_interval(s));
	assert_int_equal(s->n, 4);
	assert_null(nft_desc_set_find(d, "_aclinput_3"));
	/* one rule per map, the hash map's first (the run's elements are disjoint: any order
	 * would do; a hash lookup costs less) */
	for (i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "_aclinput_%zu", i);
		for (j = 0; j < d->n_rules; j++)
			if (memmem(d->rules[j]->exprs, d->rules[j]->len, name, strlen(name) + 1)) {
				assert_true(!i || j > at[i - 1]);
				at[i] = j;
				lookups++;
			}
	}
	assert_int_equal(lookups, 3);
	nft_desc_free(d);
}

/* The router's own services: IKE and ESP to the tunnels' local addresses, WireGuard's port,
 * VRRP (multicast and unicast groups), conntrackd's sync; in input and in output. */
static void test_admit(void **state)
{
	static const char doc[] =
		"{\"version\": 1, \"generation\": 1, \"interfaces\": {"
		" \"public\": {\"mac\": \"02:00:00:00:01:01\", \"addresses\": [\"203.0.113.1/24\","
		"  \"2001:db8::1/64\"]},"
		" \"lan\": {\"mac\": \"02:00:00:00:01:02\", \"addresses\": [\"10.1.1.1/24\"]},"
		" \"sync\": {\"mac\": \"02:00:00:00:01:03\", \"addresses\": [\"169.254.0.1/30\"]}},"
		"\"vpn\": {\"ipsec\": {"
		"  \"a\": {\"local_address\": \"203.0.113.1\", \"remote_address\": \"198.51.100.5\","
		"   \"psk\": \"a-long-shared-secret\", \"local_subnets\": [\"10.1.1.0/24\"],"
		"   \"remote_subnets\": [\"10.50.0.0/16\"]},"
		"  \"b\": {\"local_address\": \"2001:db8::1\", \"remote_address\": \"%any\","
		"   \"psk\": \"a-long-shared-secret\", \"local_subnets\": [\"fd00::/64\"],"
		"   \"remote_subnets\": [\"fd50::/64\"]}},"
		" \"wireguard\": {\"wg0\": {\"private_key\":"
		"  \"oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM=\", \"listen_port\": 51820}}},"
		"\"vrrp\": {\"groups\": {"
		"  \"lan\": {\"interface\": \"lan\", \"vrid\": 1, \"virtual_addresses\": [\"10.1.1.254/24\"]},"
		"  \"public\": {\"interface\": \"public\", \"vrid\": 2,"
		"   \"virtual_addresses\": [\"203.0.113.20/24\"], \"unicast_peers\": [\"203.0.113.3\"]}},"
		" \"sync\": {\"interface\": \"sync\", \"peer\": \"169.254.0.2\"}}}";
	struct nft_desc *d = compile_doc(doc), *none = compile("\"192.0.2.7\"");
	const struct nft_desc_set *s;
	uint8_t port[2];

	s = nft_desc_set_find(d, "_ike4");
	assert_non_null(s);
	assert_int_equal(s->n, 1);
	assert_memory_equal(s->bytes, ((uint8_t[]){203, 0, 113, 1}), 4);
	assert_string_equal(s->eptrs[0], "/vpn/ipsec/a");
	assert_int_equal(nft_desc_set_find(d, "_ike6")->n, 1);
	s = nft_desc_set_find(d, "_wg");
	assert_non_null(s);
	assert_int_equal(s->n, 1);
	nft_expr_port(51820, port);
	assert_memory_equal(s->bytes, port, 2);
	/* 6 always-on (no management interface); IKE and ESP per family (4), WireGuard,
	 * VRRP multicast (lan) and unicast (public), sync: 14, the same in output but ssh */
	assert_int_equal(rules_in(d, "input"), 6 + 4 + 1 + 2 + 1);
	assert_int_equal(rules_in(d, "output"), 6 + 4 + 1 + 2 + 1);
	/* Without tunnels or VRRP: no such set, no such rule. */
	assert_null(nft_desc_set_find(none, "_ike4"));
	assert_null(nft_desc_set_find(none, "_wg"));
	assert_int_equal(rules_in(none, "output"), 6);
	nft_desc_free(d);
	nft_desc_free(none);
}

/* An element through libnftnl's objects, as nft-desc.c wrote them before it wrote the
 * attributes itself: the oracle of test_elems_as_libnftnl. */
static void libnftnl_elem(struct nftnl_set *n, const struct nft_desc_set *s, const uint8_t *key,
			  const uint8_t *key_end, const uint8_t *data, uint32_t flags,
			  const char *comment)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	assert_non_null(e);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, s->key_len);
	if (key_end)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, key_end, s->key_len);
	if (data && s->flags & NFT_SET_MAP && s->data_type == NFT_DATA_VERDICT) {
		uint32_t verdict;

		memcpy(&verdict, data, sizeof(verdict));
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, verdict);
		if (data[sizeof(verdict)])
			nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN,
					       (const char *)data + sizeof(verdict));
	} else if (data && s->flags & NFT_SET_MAP) {
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, s->data_len);
	}
	if (flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
	if (comment) {
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_DESC_USERDATA_MAX);

		assert_non_null(u);
		assert_true(nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, comment));
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u),
				   nftnl_udata_buf_len(u));
		nftnl_udata_buf_free(u);
	}
	nftnl_set_elem_add(n, e);
}

/* Whether nlh is byte for byte what libnftnl writes for n's elements. */
static void assert_as_libnftnl(const struct nlmsghdr *nlh, struct nftnl_set *n)
{
	_cleanup_free_ char *again = calloc(1, 1 << 20);
	struct nlmsghdr *re;

	assert_non_null(again);
	re = nftnl_nlmsg_build_hdr(again, NFNL_MSG_TYPE(nlh->nlmsg_type), NFPROTO_INET,
				   nlh->nlmsg_flags, nlh->nlmsg_seq);
	nftnl_set_elems_nlmsg_build_payload(re, n);
	assert_int_equal(re->nlmsg_len, nlh->nlmsg_len);
	assert_memory_equal(re, nlh, nlh->nlmsg_len);
	nftnl_set_free(n);
}

static struct nftnl_set *libnftnl_set(const struct nft_desc_set *s, bool by_id)
{
	struct nftnl_set *n = nftnl_set_alloc();

	assert_non_null(n);
	nftnl_set_set_str(n, NFTNL_SET_TABLE, NFT_DESC_TABLE);
	nftnl_set_set_str(n, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(n, NFTNL_SET_FAMILY, NFPROTO_INET);
	if (by_id)
		nftnl_set_set_u32(n, NFTNL_SET_ID, s->id);
	return n;
}

/* The element messages of a whole batch of d, each against libnftnl's of the same elements:
 * how many there were. */
static size_t assert_elems_as_libnftnl(const struct nft_desc *d, const struct nft_desc_batch *b)
{
	size_t off, n_msgs = 0, *done = calloc(d->n_sets, sizeof(*done));

	assert_non_null(done);
	for (off = 0; off < b->len;) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(b->buf + off);
		const struct nlattr *a, *list = NULL;
		const char *name = NULL;
		uint32_t id = 0;
		size_t i, k, count = 0;
		struct nftnl_set *n;

		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWSETELEM)
			continue;
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		{
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET_ID)
				id = ntohl(mnl_attr_get_u32(a));
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				list = a;
		}
		assert_non_null(name);
		assert_non_null(list);
		mnl_attr_for_each_nested(a, list) count++;
		/* by id: anonymous sets share a name */
		for (i = 0;
		     i < d->n_sets && (d->sets[i]->id != id || strcmp(d->sets[i]->name, name)); i++)
			;
		assert_true(i < d->n_sets);
		n = libnftnl_set(d->sets[i], true);
		for (k = done[i]; k < done[i] + count; k++) {
			const struct nft_desc_set *s = d->sets[i];
			const uint8_t *p = s->bytes + k * nft_desc_set_stride(s);

			assert_true(k < s->n);
			libnftnl_elem(n, s, p,
				      nft_desc_set_concat_interval(s) ? p + s->key_len : NULL,
				      p + 2 * s->key_len, s->eflags[k], s->comments[k]);
		}
		done[i] += count;
		assert_as_libnftnl(nlh, n);
		n_msgs++;
	}
	free(done);
	return n_msgs;
}

/* Elements of every kind (intervals and their ends, concatenations, verdicts with a chain,
 * data, labels, additions and removals), written as libnftnl would. */
static void test_elems_as_libnftnl(void **state)
{
	struct nft_desc *d =
	    compile_with("\"192.0.2.7\", \"198.51.100.0/24\"", NULL, ACL_RULES("reject"));
	struct nft_desc_elem_change ch[3] = {0};
	const struct nft_desc_set *acl = nft_desc_set_find(d, "_aclinput_0");
	struct nft_desc_batch b;
	size_t off, i;

	(void)state;
	assert_non_null(acl);
	assert_int_equal(nft_desc_batch_full(d, NULL, 100, 7, &b), 0);
	assert_true(assert_elems_as_libnftnl(d, &b) >= 4);
	nft_desc_batch_done(&b);
	ch[0].set = ch[1].set = nft_desc_set_find(d, "blocked");
	ch[0].add = true;
	ch[0].comment = "fw-element blocked 192.0.2.9";
	ch[1].flags = NFT_SET_ELEM_INTERVAL_END;
	ch[2].set = acl;
	ch[2].add = ch[2].has_key_end = ch[2].has_data = true;
	memcpy(ch[2].key, acl->bytes, acl->key_len);
	memcpy(ch[2].key_end, acl->bytes + acl->key_len, acl->key_len);
	memcpy(ch[2].data, acl->bytes + 2 * acl->key_len, acl->data_len);
	ch[2].comment = acl->comments[0];
	assert_int_equal(nft_desc_batch_elems(ch, 3, 500, 0, &b), 0);
	for (off = 0, i = 0; off < b.len;) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(b.buf + off);
		uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
		struct nftnl_set *n;

		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (type != NFT_MSG_NEWSETELEM && type != NFT_MSG_DELSETELEM)
			continue;
		assert_true(i < 3);
		n = libnftnl_set(ch[i].set, false);
		libnftnl_elem(n, ch[i].set, ch[i].key, ch[i].has_key_end ? ch[i].key_end : NULL,
			      ch[i].add && ch[i].has_data ? ch[i].data : NULL, ch[i].flags,
			      ch[i].add ? ch[i].comment : NULL);
		assert_as_libnftnl(nlh, n);
		i++;
	}
	assert_int_equal(i, 3);
	nft_desc_batch_done(&b);
	nft_desc_free(d);
}

/* ---- expressions as libnftnl writes them ---- */

/* libnftnl's rule of the one expression e. */
static struct nftnl_rule *lrule(struct nftnl_expr *e)
{
	struct nftnl_rule *lr = nftnl_rule_alloc();

	assert_non_null(lr);
	assert_non_null(e);
	nftnl_rule_add_expr(lr, e);
	return lr;
}

static struct nftnl_expr *lexpr(const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	assert_non_null(e);
	return e;
}

/* r's expressions are byte for byte the content of the NFTA_RULE_EXPRESSIONS that libnftnl
 * writes for lr (freed); r is emptied for the next case. */
static void assert_exprs_as_libnftnl(struct nft_desc_rule *r, struct nftnl_rule *lr)
{
	_cleanup_free_ char *buf = calloc(1, 1 << 16);
	const struct nlattr *a, *exprs = NULL;
	struct nlmsghdr *nlh;

	assert_non_null(buf);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET, 0, 1);
	nftnl_rule_nlmsg_build_payload(nlh, lr);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_RULE_EXPRESSIONS)
			exprs = a;
	}
	assert_non_null(exprs);
	assert_true(r->len > 0);
	assert_int_equal(mnl_attr_get_payload_len(exprs), r->len);
	assert_memory_equal(mnl_attr_get_payload(exprs), r->exprs, r->len);
	nftnl_rule_free(lr);
	r->len = 0;
}

/* Every expression nft-expr.c writes, each of its forms, against libnftnl's own builder. */
static void test_exprs_as_libnftnl(void **state)
{
	static const uint8_t addr[4] = {192, 0, 2, 7}, mask[4] = {255, 255, 255, 0};
	static const uint8_t port[2] = {0, 22};
	struct nft_desc *d = nft_desc_new();
	struct nft_desc_set *set, *map, *vmap;
	struct nft_desc_rule *r;
	struct nftnl_expr *e;
	uint8_t ifname[IFNAMSIZ] = "web";

	(void)state;
	assert_non_null(d);
	set = nft_desc_set(d, "blocked", NFT_SET_INTERVAL, NFT_DESC_TYPE_IPADDR, 4, 0, 0, NULL, 0,
			   NULL, NULL);
	map = nft_desc_set(d, "_pf4", NFT_SET_MAP, NFT_DESC_TYPE_IPADDR, 4, NFT_DESC_TYPE_IPADDR, 4,
			   NULL, 0, NULL, NULL);
	vmap = nft_desc_set(d, "_aclinput_0", NFT_SET_MAP, NFT_DESC_TYPE_IPADDR, 4,
			    NFT_DATA_VERDICT, NFT_DESC_VERDICT_LEN, NULL, 0, NULL, NULL);
	r = nft_desc_rule(d, "input", NULL, NULL);
	assert_non_null(set);
	assert_non_null(map);
	assert_non_null(vmap);
	assert_non_null(r);

	nft_desc_meta(r, NFT_META_IIFNAME, NFT_REG32_01);
	e = lexpr("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_IIFNAME);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG32_01);
	assert_exprs_as_libnftnl(r, lrule(e));

	nft_desc_rt(r, NFT_RT_XFRM, NFT_REG32_00);
	e = lexpr("rt");
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_KEY, NFT_RT_XFRM);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_DREG, NFT_REG32_00);
	assert_exprs_as_libnftnl(r, lrule(e));

	nft_desc_cmp(r, NFT_CMP_EQ, NFT_REG32_01, ifname, IFNAMSIZ);
	e = lexpr("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG32_01);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, ifname, IFNAMSIZ);
	assert_exprs_as_libnftnl(r, lrule(e));

	nft_desc_cmp(r, NFT_CMP_NEQ, NFT_REG32_00, port, sizeof(port));
	e = lexpr("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, port, sizeof(port));
	assert_exprs_as_libnftnl(r, lrule(e));

	nft_desc_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG32_00);
	e = lexpr("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 12);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
	assert_exprs_as_libnftnl(r, lrule(e));

	nft_desc_bitwise(r, NFT_REG32_00, sizeof(mask), mask);
	e = lexpr("bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, (uint8_t[4]){0}, 4);
	assert_exprs_as_libnftnl(r, lrule(e));

	/* ct: a key without a direction, and one with */
	nft_desc_ct(r, NFT_CT_STATE, -1, NFT_REG32_00);
	e = lexpr("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG32_00);
	assert_exprs_as_libnftnl(r, lrule(e));
	nft_desc_ct(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL, NFT_REG32_02);
	e = lexpr("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_PROTO_DST);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG32_02);
	nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, IP_CT_DIR_ORIGINAL);
	assert_exprs_as_libnftnl(r, lrule(e));

	/* lookup: in a set, not in it, a map's data into a register, a verdict map */
	nft_desc_lookup(r, set, NFT_REG32_00, 0, false);
	e = lexpr("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "blocked");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set->id);
	assert_exprs_as_libnftnl(r, lrule(e));
	nft_desc_lookup(r, set, NFT_REG32_00, 0, true);
	e = lexpr("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "blocked");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set->id);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	assert_exprs_as_libnftnl(r, lrule(e));
	nft_desc_lookup(r, map, NFT_REG32_00, NFT_REG32_01, false);
	e = lexpr("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG32_01);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "_pf4");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, map->id);
	assert_exprs_as_libnftnl(r, lrule(e));
	nft_desc_vmap(r, vmap, NFT_REG32_00);
	e = lexpr("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "_aclinput_0");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, vmap->id);
	assert_exprs_as_libnftnl(r, lrule(e));

	nft_desc_counter(r);
	assert_exprs_as_libnftnl(r, lrule(lexpr("counter")));

	nft_desc_limit(r, 10, 5);
	e = lexpr("limit");
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, 10);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, 5);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	assert_exprs_as_libnftnl(r, lrule(e));

	/* log: with a prefix, and without */
	nft_desc_log(r, "input-drop: ");
	e = lexpr("log");
	nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, "input-drop: ");
	assert_exprs_as_libnftnl(r, lrule(e));
	nft_desc_log(r, NULL);
	assert_exprs_as_libnftnl(r, lrule(lexpr("log")));

	/* immediate: a verdict, and data into a register */
	nft_desc_verdict(r, NF_ACCEPT);
	e = lexpr("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	assert_exprs_as_libnftnl(r, lrule(e));
	nft_desc_verdict(r, NF_DROP);
	e = lexpr("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
	assert_exprs_as_libnftnl(r, lrule(e));
	nft_desc_immediate(r, NFT_REG32_01, addr, sizeof(addr));
	e = lexpr("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG32_01);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, addr, sizeof(addr));
	assert_exprs_as_libnftnl(r, lrule(e));

	nft_desc_reject(r, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
	e = lexpr("reject");
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
	assert_exprs_as_libnftnl(r, lrule(e));

	/* nat: addresses and ports, addresses only */
	nft_desc_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG32_00, NFT_REG32_01);
	e = lexpr("nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_01);
	assert_exprs_as_libnftnl(r, lrule(e));
	nft_desc_nat(r, NFT_NAT_SNAT, NFPROTO_IPV6, NFT_REG32_00, 0);
	e = lexpr("nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV6);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG32_00);
	assert_exprs_as_libnftnl(r, lrule(e));

	nft_desc_masq(r);
	assert_exprs_as_libnftnl(r, lrule(lexpr("masq")));

	/* several expressions in a row, as a rule holds them */
	nft_desc_meta(r, NFT_META_L4PROTO, NFT_REG32_00);
	nft_desc_cmp(r, NFT_CMP_EQ, NFT_REG32_00, (uint8_t[]){IPPROTO_TCP}, 1);
	nft_desc_counter(r);
	nft_desc_verdict(r, NF_ACCEPT);
	{
		struct nftnl_rule *lr = nftnl_rule_alloc();

		assert_non_null(lr);
		e = lexpr("meta");
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG32_00);
		nftnl_rule_add_expr(lr, e);
		e = lexpr("cmp");
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG32_00);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, (uint8_t[]){IPPROTO_TCP}, 1);
		nftnl_rule_add_expr(lr, e);
		nftnl_rule_add_expr(lr, lexpr("counter"));
		e = lexpr("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
		nftnl_rule_add_expr(lr, e);
		assert_exprs_as_libnftnl(r, lr);
	}
	assert_false(d->oom);
	nft_desc_free(d);
}

static void test_batches(void **state)
{
	struct nft_desc *d = compile("\"192.0.2.7\"");
	struct nft_desc_elem_change ch[2] = {0};
	struct nft_desc_batch b;
	size_t i, n_rule_ptrs = 0;

	char fp[17], text[32];

	assert_int_equal(nft_desc_batch_full(d, NULL, 100, 0, &b), 0);
	/* The table carries the fingerprint that nft_desc_fingerprint computes alone. */
	assert_int_equal(nft_desc_fingerprint(d, fp), 0);
	snprintf(text, sizeof(text), "vrouter %s", fp);
	assert_non_null(memmem(b.buf, b.len, text, strlen(text)));
	/* NEWTABLE, DELTABLE, NEWTABLE, then the body, END: each with its pointer */
	assert_null(nft_desc_batch_ptr(&b, 100)); /* BEGIN */
	assert_null(nft_desc_batch_ptr(&b, 101)); /* NEWTABLE */
	for (i = 0; i < b.n_msgs; i++)
		n_rule_ptrs += b.ptrs[i] && !strcmp(b.ptrs[i], "/firewall/input/rules/1");
	assert_int_equal(n_rule_ptrs, 1);
	assert_null(nft_desc_batch_ptr(&b, (uint32_t)(100 + b.n_msgs + 5)));
	nft_desc_batch_done(&b);

	ch[0].set = ch[1].set = nft_desc_set_find(d, "blocked");
	ch[0].add = true;
	ch[0].ptr = "/firewall/sets/blocked/elements/1";
	ch[1].flags = NFT_SET_ELEM_INTERVAL_END;
	ch[1].ptr = "/firewall/sets/blocked/elements/1";
	assert_int_equal(nft_desc_batch_elems(ch, 2, 500, 0, &b), 0);
	assert_int_equal(b.n_msgs, 3); /* two element messages, END */
	assert_int_equal(b.n_elem_msgs, 2);
	assert_string_equal(nft_desc_batch_ptr(&b, 502), "/firewall/sets/blocked/elements/1");
	nft_desc_batch_done(&b);
	nft_desc_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_elem_text),
	    cmocka_unit_test(test_elem_range_not_prefix),
	    cmocka_unit_test(test_elem_inc_dec),
	    cmocka_unit_test(test_elem_merge),
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_records_file),
	    cmocka_unit_test(test_compile_table),
	    cmocka_unit_test(test_ssh_sources),
	    cmocka_unit_test(test_counter_labels),
	    cmocka_unit_test(test_fingerprint),
	    cmocka_unit_test(test_batches),
	    cmocka_unit_test(test_rule_labels),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_forward_inserted),
	    cmocka_unit_test(test_nat_sets_order),
	    cmocka_unit_test(test_hash_size),
	    cmocka_unit_test(test_nat_labels),
	    cmocka_unit_test(test_admit),
	    cmocka_unit_test(test_acl_maps),
	    cmocka_unit_test(test_acl_first_match),
	    cmocka_unit_test(test_acl_one_source),
	    cmocka_unit_test(test_acl_exact_maps),
	    cmocka_unit_test(test_firewall_part_kept),
	    cmocka_unit_test(test_firewall_part_follows_section),
	    cmocka_unit_test(test_rule_names_ipsec),
	    cmocka_unit_test(test_firewall_part_follows_tunnels),
	    cmocka_unit_test(test_acl_long_run),
	    cmocka_unit_test(test_acl_pairs),
	    cmocka_unit_test(test_elems_as_libnftnl),
	    cmocka_unit_test(test_exprs_as_libnftnl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
