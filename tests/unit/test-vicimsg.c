/* SPDX-License-Identifier: MIT */
/* VICI packets, messages and list-sa events as the agent reads them (lib/vicimsg.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/vicimsg.h"

/* One element appended (name and value as text; NULL where the type has none). */
static void put(struct strbuf *b, int type, const char *name, const char *value)
{
	struct vici_elem e = {.type = (uint8_t)type};

	if (name)
		strcpy(e.name, name);
	if (value) {
		e.value = (const uint8_t *)value;
		e.value_len = strlen(value);
	}
	assert_int_equal(vici_elem_put(b, &e), 0);
}

#define KV(b, k, v) put(b, VICI_KEY_VALUE, k, v)
#define SEC(b, n) put(b, VICI_SECTION_START, n, NULL)
#define END(b) put(b, VICI_SECTION_END, NULL, NULL)

/* strongSwan's README example: key1 = value1, section1 { sub-section { key2 = value2 },
 * list1 = [item1, item2] }. */
/* clang-format off */
static const uint8_t readme[] = {
    3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
    1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
    1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
    3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
    2,
    4, 5, 'l', 'i', 's', 't', '1',
    5, 0, 5, 'i', 't', 'e', 'm', '1',
    5, 0, 5, 'i', 't', 'e', 'm', '2',
    6,
    2,
};
/* clang-format on */

static void test_reader_readme(void **state)
{
	static const struct {
		uint8_t type;
		const char *name, *value;
		unsigned depth;
	} want[] = {
	    {VICI_KEY_VALUE, "key1", "value1", 0},
	    {VICI_SECTION_START, "section1", NULL, 0},
	    {VICI_SECTION_START, "sub-section", NULL, 1},
	    {VICI_KEY_VALUE, "key2", "value2", 2},
	    {VICI_SECTION_END, "", NULL, 2},
	    {VICI_LIST_START, "list1", NULL, 1},
	    {VICI_LIST_ITEM, "", "item1", 1},
	    {VICI_LIST_ITEM, "", "item2", 1},
	    {VICI_LIST_END, "", NULL, 1},
	    {VICI_SECTION_END, "", NULL, 1},
	};
	struct vici_reader r;
	struct vici_elem e;
	struct strbuf back = {0};
	size_t i;

	(void)state;
	vici_reader_init(&r, readme, sizeof(readme));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(vici_reader_next(&r, &e), 1);
		assert_int_equal(e.type, want[i].type);
		assert_string_equal(e.name, want[i].name);
		assert_int_equal(e.depth, want[i].depth);
		if (want[i].value) {
			assert_int_equal(e.value_len, strlen(want[i].value));
			assert_memory_equal(e.value, want[i].value, e.value_len);
		} else {
			assert_null(e.value);
		}
		assert_int_equal(vici_elem_put(&back, &e), 0);
	}
	assert_int_equal(vici_reader_next(&r, &e), 0);
	/* Written back: the same bytes. */
	assert_int_equal(back.len, sizeof(readme));
	assert_memory_equal(back.s, readme, sizeof(readme));
	strbuf_done(&back);
}

/* Messages that are not well formed: refused at some element, and from then on. */
static void test_reader_refuses(void **state)
{
	static const struct {
		const char *why;
		uint8_t msg[16];
		size_t len;
	} cases[] = {
	    {"unknown element type", {7}, 1},
	    {"type 0", {0}, 1},
	    {"section not closed", {1, 1, 'a'}, 3},
	    {"end without a section", {2}, 1},
	    {"list not closed", {4, 1, 'l'}, 3},
	    {"item outside a list", {5, 0, 0}, 3},
	    {"list end outside a list", {6}, 1},
	    {"key/value inside a list", {4, 1, 'l', 3, 1, 'k', 0, 0, 6}, 9},
	    {"section inside a list", {4, 1, 'l', 1, 1, 's', 2, 6}, 8},
	    {"nested list", {4, 1, 'l', 4, 1, 'm', 6, 6}, 8},
	    {"name cut", {3, 5, 'k', 'e'}, 4},
	    {"name length missing", {1}, 1},
	    {"value length cut", {3, 1, 'k', 0}, 4},
	    {"value cut", {3, 1, 'k', 0, 3, 'a'}, 6},
	    {"name holding a NUL", {3, 2, 'k', 0, 0, 0}, 6},
	};
	uint8_t deep[4 * (VICI_DEPTH_MAX + 1)];
	struct vici_reader r;
	struct vici_elem e;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vici_reader_init(&r, cases[i].msg, cases[i].len);
		while ((ret = vici_reader_next(&r, &e)) > 0)
			;
		if (ret != -EINVAL)
			fail_msg("%s: %d", cases[i].why, ret);
		assert_int_equal(vici_reader_next(&r, &e), -EINVAL);
	}
	/* VICI_DEPTH_MAX sections open at once are read; one more is not. */
	for (i = 0; i <= VICI_DEPTH_MAX; i++) {
		deep[3 * i] = VICI_SECTION_START;
		deep[3 * i + 1] = 1;
		deep[3 * i + 2] = 's';
	}
	memset(deep + 3 * (VICI_DEPTH_MAX + 1), VICI_SECTION_END, VICI_DEPTH_MAX + 1);
	vici_reader_init(&r, deep + 3, 3 * VICI_DEPTH_MAX + VICI_DEPTH_MAX);
	while ((ret = vici_reader_next(&r, &e)) > 0)
		;
	assert_int_equal(ret, 0);
	vici_reader_init(&r, deep, sizeof(deep));
	for (i = 0; i < VICI_DEPTH_MAX; i++)
		assert_int_equal(vici_reader_next(&r, &e), 1);
	assert_int_equal(vici_reader_next(&r, &e), -EINVAL);
	/* The empty message is well formed. */
	vici_reader_init(&r, NULL, 0);
	assert_int_equal(vici_reader_next(&r, &e), 0);
}

static void test_packets(void **state)
{
	static const struct {
		uint8_t data[12];
		size_t len;
		int r;
		uint8_t type;
		const char *name;
		size_t msg_len;
	} cases[] = {
	    {{VICI_CMD_RESPONSE}, 1, 0, VICI_CMD_RESPONSE, "", 0},
	    {{VICI_EVENT_CONFIRM}, 1, 0, VICI_EVENT_CONFIRM, "", 0},
	    {{VICI_CMD_UNKNOWN}, 1, 0, VICI_CMD_UNKNOWN, "", 0},
	    {{VICI_CMD_RESPONSE, 3, 1, 'k', 0, 0}, 6, 0, VICI_CMD_RESPONSE, "", 5},
	    {{VICI_EVENT, 7, 'l', 'i', 's', 't', '-', 's', 'a', 2},
	     10,
	     0,
	     VICI_EVENT,
	     "list-sa",
	     1},
	    {{VICI_EVENT_REGISTER, 0}, 2, 0, VICI_EVENT_REGISTER, "", 0},
	    {{8}, 1, -EINVAL, 0, "", 0},		       /* unknown type */
	    {{VICI_EVENT}, 1, -EINVAL, 0, "", 0},	       /* name length missing */
	    {{VICI_EVENT, 4, 'l', 'i'}, 4, -EINVAL, 0, "", 0}, /* name cut */
	    {{VICI_EVENT, 2, 'l', 0}, 4, -EINVAL, 0, "", 0},   /* NUL in the name */
	    {{0}, 0, -EINVAL, 0, "", 0},		       /* empty */
	};
	struct vici_packet p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = vici_packet_parse(cases[i].data, cases[i].len, &p);

		if (r != cases[i].r)
			fail_msg("case %zu: %d", i, r);
		if (r < 0)
			continue;
		assert_int_equal(p.type, cases[i].type);
		assert_string_equal(p.name, cases[i].name);
		assert_int_equal(p.msg_len, cases[i].msg_len);
		assert_ptr_equal(p.msg, cases[i].data + cases[i].len - cases[i].msg_len);
	}
}

/* The requests the agent sends, byte for byte. */
static void test_build(void **state)
{
	static const uint8_t list_sas[] = {0,	0,   0,	  24,  VICI_CMD_REQUEST,
					   8,	'l', 'i', 's', 't',
					   '-', 's', 'a', 's', 3,
					   7,	'n', 'o', 'b', 'l',
					   'o', 'c', 'k', 0,   3,
					   'y', 'e', 's'};
	static const uint8_t reg[] = {0,   0,	0,   9,	 VICI_EVENT_REGISTER, 7, 'l', 'i', 's',
				      't', '-', 's', 'a'};
	struct strbuf msg = {0}, seg = {0};
	char longname[VICI_NAME_MAX + 2];

	(void)state;
	assert_int_equal(vici_put_kv(&msg, "noblock", "yes"), 0);
	assert_int_equal(
	    vici_packet_build(&seg, VICI_CMD_REQUEST, "list-sas", (const uint8_t *)msg.s, msg.len),
	    0);
	assert_int_equal(seg.len, sizeof(list_sas));
	assert_memory_equal(seg.s, list_sas, sizeof(list_sas));
	strbuf_truncate(&seg, 0);
	assert_int_equal(vici_packet_build(&seg, VICI_EVENT_REGISTER, "list-sa", NULL, 0), 0);
	assert_int_equal(seg.len, sizeof(reg));
	assert_memory_equal(seg.s, reg, sizeof(reg));
	/* A named type needs its name, an unnamed one has none; names fit in a byte. */
	strbuf_truncate(&seg, 0);
	assert_int_equal(vici_packet_build(&seg, VICI_EVENT, NULL, NULL, 0), -EINVAL);
	assert_int_equal(vici_packet_build(&seg, VICI_CMD_RESPONSE, "x", NULL, 0), -EINVAL);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(vici_packet_build(&seg, VICI_EVENT, longname, NULL, 0), -EINVAL);
	assert_int_equal(vici_put_kv(&seg, longname, "v"), -EINVAL);
	assert_int_equal(seg.len, 0);
	strbuf_done(&msg);
	strbuf_done(&seg);
}

/* A list-sa event as charon 5.9 sends it (identities with spaces, lists, tasks). */
static void event(struct strbuf *b, const char *name, const char *ike_state,
		  const char *child_state, const char *bytes_in, const char *install_time)
{
	SEC(b, name);
	KV(b, "uniqueid", "3");
	KV(b, "version", "2");
	KV(b, "state", ike_state);
	KV(b, "local-host", "192.0.2.1");
	KV(b, "local-id", "CN=router one, O=Example");
	KV(b, "remote-host", "192.0.2.2");
	KV(b, "remote-id", "192.0.2.2");
	KV(b, "initiator", "yes");
	KV(b, "initiator-spi", "6b7ec48e9fca0f9c");
	KV(b, "established", "120");
	put(b, VICI_LIST_START, "tasks-queued", NULL);
	put(b, VICI_LIST_ITEM, NULL, "IKE_DPD");
	put(b, VICI_LIST_END, NULL, NULL);
	SEC(b, "child-sas");
	SEC(b, "t1-7");
	KV(b, "name", "t1");
	KV(b, "state", child_state);
	KV(b, "protocol", "ESP");
	KV(b, "spi-in", "c8b1e36a");
	KV(b, "bytes-in", bytes_in);
	KV(b, "packets-in", "12");
	KV(b, "bytes-out", "2048");
	KV(b, "packets-out", "13");
	KV(b, "install-time", install_time);
	put(b, VICI_LIST_START, "local-ts", NULL);
	put(b, VICI_LIST_ITEM, NULL, "10.1.1.0/24");
	put(b, VICI_LIST_END, NULL, NULL);
	END(b);
	END(b);
	END(b);
}

/* initiate's and terminate's answers. */
static void test_result(void **state)
{
	struct strbuf msg = {0}, why = {0};
	const uint8_t broken[] = {VICI_SECTION_START, 1, 'x'};

	(void)state;
	assert_int_equal(vici_put_kv(&msg, "success", "yes"), 0);
	assert_int_equal(vici_put_kv(&msg, "matches", "1"), 0);
	assert_int_equal(vici_result_parse((const uint8_t *)msg.s, msg.len, &why), 1);
	assert_int_equal(why.len, 0);
	strbuf_truncate(&msg, 0);
	assert_int_equal(vici_put_kv(&msg, "success", "no"), 0);
	assert_int_equal(vici_put_kv(&msg, "errmsg", "no config named 'x'\n"), 0);
	assert_int_equal(vici_result_parse((const uint8_t *)msg.s, msg.len, &why), 0);
	/* Printable text only. */
	assert_string_equal(strbuf_str(&why), "no config named 'x'?");
	strbuf_truncate(&why, 0);
	strbuf_truncate(&msg, 0);
	assert_int_equal(vici_put_kv(&msg, "success", "no"), 0);
	assert_int_equal(vici_result_parse((const uint8_t *)msg.s, msg.len, &why), 0);
	assert_string_equal(strbuf_str(&why), "no reason given");
	strbuf_truncate(&why, 0);
	/* Neither yes nor no, none at all, or a message that cannot be read. */
	strbuf_truncate(&msg, 0);
	assert_int_equal(vici_put_kv(&msg, "success", "maybe"), 0);
	assert_int_equal(vici_result_parse((const uint8_t *)msg.s, msg.len, &why), -EINVAL);
	assert_int_equal(vici_result_parse(NULL, 0, &why), -EINVAL);
	assert_int_equal(vici_result_parse(broken, sizeof(broken), &why), -EINVAL);
	assert_int_equal(why.len, 0);
	strbuf_done(&msg);
	strbuf_done(&why);
}

static void test_list_sa(void **state)
{
	static const struct {
		const char *ike_state, *child_state, *bytes_in, *install_time;
		int r;
	} cases[] = {
	    {"ESTABLISHED", "INSTALLED", "1024", "60", 0},
	    {"CONNECTING", "INSTALLING", "0", "0", 0},
	    {"ESTABLISHED", "INSTALLED", "18446744073709551615", "60", 0},
	    {"established", "INSTALLED", "1024", "60", -EINVAL}, /* not a state name */
	    {"", "INSTALLED", "1024", "60", -EINVAL},
	    {"ESTABLISHED", "INSTALLED ", "1024", "60", -EINVAL},
	    {"ESTABLISHED", "INSTALLED", "-1", "60", -EINVAL},
	    {"ESTABLISHED", "INSTALLED", "18446744073709551616", "60", -EINVAL}, /* past 64 bits */
	    {"ESTABLISHED", "INSTALLED", "1024", "1e3", -EINVAL},
	    {"ESTABLISHED", "INSTALLED", "", "60", -EINVAL},
	};
	struct vici_sas s = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf b = {0};
		const struct vici_child_sa *c;
		int r;

		event(&b, "t1", cases[i].ike_state, cases[i].child_state, cases[i].bytes_in,
		      cases[i].install_time);
		r = vici_list_sa_parse(&s, (const uint8_t *)b.s, b.len);
		strbuf_done(&b);
		if (r != cases[i].r)
			fail_msg("case %zu: %d", i, r);
		if (r < 0) {
			assert_int_equal(s.n_ike, 0); /* refused whole */
			continue;
		}
		assert_int_equal(s.n_ike, 1);
		assert_string_equal(s.ike[0].name, "t1");
		assert_string_equal(s.ike[0].state, cases[i].ike_state);
		assert_int_equal(s.ike[0].n_children, 1);
		c = &s.ike[0].children[0];
		assert_string_equal(c->state, cases[i].child_state);
		assert_int_equal(c->has, VICI_CHILD_HAS_BYTES_IN | VICI_CHILD_HAS_BYTES_OUT |
					     VICI_CHILD_HAS_PACKETS_IN |
					     VICI_CHILD_HAS_PACKETS_OUT |
					     VICI_CHILD_HAS_INSTALL_TIME);
		assert_int_equal(c->bytes_in, strtoull(cases[i].bytes_in, NULL, 10));
		assert_int_equal(c->bytes_out, 2048);
		assert_int_equal(c->packets_in, 12);
		assert_int_equal(c->packets_out, 13);
		assert_int_equal(c->install_time, strtoull(cases[i].install_time, NULL, 10));
		vici_sas_done(&s);
	}
	/* A refused event leaves what earlier ones gave; a child without counters has none. */
	{
		struct strbuf b = {0};

		event(&b, "t1", "ESTABLISHED", "INSTALLED", "1", "2");
		assert_int_equal(vici_list_sa_parse(&s, (const uint8_t *)b.s, b.len), 0);
		strbuf_truncate(&b, 0);
		event(&b, "t2", "ESTABLISHED", "INSTALLED", "x", "2");
		assert_int_equal(vici_list_sa_parse(&s, (const uint8_t *)b.s, b.len), -EINVAL);
		assert_int_equal(s.n_ike, 1);
		strbuf_truncate(&b, 0);
		SEC(&b, "t3");
		SEC(&b, "child-sas");
		SEC(&b, "t3-1");
		KV(&b, "state", "CREATED");
		END(&b);
		END(&b);
		END(&b);
		assert_int_equal(vici_list_sa_parse(&s, (const uint8_t *)b.s, b.len), 0);
		assert_int_equal(s.n_ike, 2);
		assert_string_equal(s.ike[1].state, "");
		assert_int_equal(s.ike[1].children[0].has, 0);
		/* An empty event adds nothing. */
		assert_int_equal(vici_list_sa_parse(&s, NULL, 0), 0);
		assert_int_equal(s.n_ike, 2);
		strbuf_done(&b);
		vici_sas_done(&s);
	}
}

/* A tunnel over its IKE SAs: the established state first, installed CHILD SAs only. */
static void test_tunnel(void **state)
{
	static const struct {
		const char *name, *state;
		struct vici_child_sa children[3];
		size_t n;
	} ikes[] = {
	    {"t1", "CONNECTING", {{0}}, 0},
	    {"t1",
	     "ESTABLISHED",
	     {{VICI_CHILD_HAS_INSTALL_TIME, "INSTALLED", 100, 200, 1, 2, 30},
	      {VICI_CHILD_HAS_INSTALL_TIME, "REKEYED", 5000, 5000, 50, 50, 3600},
	      {VICI_CHILD_HAS_INSTALL_TIME, "REKEYING", 10, 20, 3, 4, 3500}},
	     3},
	    {"t1", "DELETING", {{0, "INSTALLED", UINT64_MAX, 0, 0, 0, 0}}, 1},
	    {"t2", "CONNECTING", {{0, "INSTALLING", 1, 1, 1, 1, 0}}, 1},
	};
	struct vici_ike_sa v[4];
	struct vici_sas s = {.ike = v, .n_ike = 4};
	struct vici_tunnel t;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		v[i] = (struct vici_ike_sa){.children = (struct vici_child_sa *)ikes[i].children,
					    .n_children = ikes[i].n};
		strcpy(v[i].name, ikes[i].name);
		strcpy(v[i].state, ikes[i].state);
	}
	vici_sas_tunnel(&s, "t1", &t);
	assert_int_equal(t.has, VICI_TUNNEL_HAS_IKE | VICI_TUNNEL_HAS_INSTALL);
	assert_string_equal(t.ike_state, "ESTABLISHED");
	assert_int_equal(t.child_sas, 3);
	assert_int_equal(t.bytes_in, UINT64_MAX); /* saturates */
	assert_int_equal(t.bytes_out, 220);
	assert_int_equal(t.packets_in, 4);
	assert_int_equal(t.packets_out, 6);
	assert_int_equal(t.newest_install, 30);

	vici_sas_tunnel(&s, "t2", &t);
	assert_int_equal(t.has, VICI_TUNNEL_HAS_IKE);
	assert_string_equal(t.ike_state, "CONNECTING");
	assert_int_equal(t.child_sas, 0);
	assert_int_equal(t.bytes_in, 0);

	vici_sas_tunnel(&s, "t3", &t);
	assert_int_equal(t.has, 0);
	assert_string_equal(t.ike_state, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reader_readme), cmocka_unit_test(test_reader_refuses),
	    cmocka_unit_test(test_packets),	  cmocka_unit_test(test_build),
	    cmocka_unit_test(test_list_sa),	  cmocka_unit_test(test_tunnel),
	    cmocka_unit_test(test_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
