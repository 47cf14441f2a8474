/* SPDX-License-Identifier: MIT */
/* The daemon's reading of requests against the intent in effect (proto/proto-request.c). */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"
#include "lib/cleanup.h"

#define KNOWN                                                                                      \
	"{\"version\":1,\"generation\":1,\"interfaces\":{\"a\":[1,2]},"                           \
	"\"firewall\":{\"forward\":{\"rules\":[{\"x\":\"y,}]\\\"\"}]}},\"nat\":{\"n\":true}}"

struct reading {
	struct proto_request req;
	struct strbuf err;
	int r;
};

static void read_line(struct proto_in_effect *k, bool in_effect, const char *line,
		      struct reading *ret)
{
	*ret = (struct reading){0};
	ret->r = proto_request_parse(line, strlen(line), k, in_effect, &ret->req, &ret->err);
}

static void reading_done(struct reading *x)
{
	proto_request_done(&x->req);
	strbuf_done(&x->err);
}

static struct proto_in_effect *known_of(const char *text)
{
	json_t *tree = json_loads(text, 0, NULL);
	struct proto_in_effect *k;

	assert_non_null(tree);
	k = proto_in_effect_new(text, strlen(text), tree, NULL);
	json_decref(tree);
	assert_non_null(k);
	return k;
}

/* Whether the request's intent holds key with the known tree's own value (not a copy). */
static bool shares(const struct proto_request *req, const struct proto_in_effect *k,
		   const char *key)
{
	const json_t *v = json_object_get(req->intent, key);

	return v && v == json_object_get(proto_in_effect_tree(k), key);
}

/* The intent read against the known one equals a whole parse's, and is read from it. */
static void assert_read_like_whole(const char *line, struct reading *x)
{
	struct reading whole;

	read_line(NULL, false, line, &whole);
	assert_int_equal(x->r, 0);
	assert_int_equal(whole.r, 0);
	assert_true(json_equal(x->req.intent, whole.req.intent));
	assert_ptr_equal(x->req.raw, whole.req.raw);
	assert_int_equal(x->req.raw_len, whole.req.raw_len);
	reading_done(&whole);
}

/* Reads line against k: it must be read member by member, as a whole parse reads it. */
static void read_against(struct proto_in_effect *k, bool in_effect, const char *line,
			 struct reading *x)
{
	read_line(k, in_effect, line, x);
	assert_read_like_whole(line, x);
	assert_non_null(x->req.index);
}

static void test_unchanged_members_shared(void **state)
{
	static const char line[] =
		"{\"request\":\"apply\",\"id\":3,\"intent\":{\"version\":1,\"generation\":2,"
		"\"interfaces\":{\"a\":[1,2,3]},\"firewall\":{\"forward\":{\"rules\":[{\"x\":"
		"\"y,}]\\\"\"}]}},\"nat\":{\"n\":true}}}";
	struct proto_in_effect *k = known_of(KNOWN);
	struct reading x;

	(void)state;
	read_against(k, true, line, &x);
	assert_int_equal(x.req.kind, PROTO_APPLY);
	assert_string_equal(x.req.id, "3");
	assert_true(shares(&x.req, k, "firewall"));
	assert_true(shares(&x.req, k, "nat"));
	assert_true(shares(&x.req, k, "version"));
	assert_false(shares(&x.req, k, "generation"));
	assert_false(shares(&x.req, k, "interfaces"));
	reading_done(&x);
	proto_in_effect_free(k);
}

/* The index a reading brings serves the next one: a known intent made with it. */
static void test_index_handed_on(void **state)
{
	static const char line[] = "{\"request\":\"plan\",\"intent\": {\"generation\":2, "
				   "\"nat\":{\"n\":false},\"version\":1,\"firewall\":{}}}";
	static const char next[] = "{\"request\":\"check\",\"intent\":{\"version\":1,"
				   "\"generation\":3,\"nat\":{\"n\":false},\"firewall\":{}}}";
	struct proto_in_effect *k = known_of(KNOWN), *k2;
	struct reading x, y;

	(void)state;
	read_against(k, false, line, &x);
	assert_true(shares(&x.req, k, "version"));
	k2 = proto_in_effect_new(x.req.raw, x.req.raw_len, x.req.intent, x.req.index);
	x.req.index = NULL;
	assert_non_null(k2);
	read_against(k2, false, next, &y);
	assert_true(shares(&y.req, k2, "nat"));
	assert_true(shares(&y.req, k2, "firewall"));
	assert_true(shares(&y.req, k2, "version"));
	assert_false(shares(&y.req, k2, "generation"));
	reading_done(&x);
	reading_done(&y);
	proto_in_effect_free(k2);
	proto_in_effect_free(k);
}

/* A text with nothing in common is read all the same (parsed once, not twice). */
static void test_nothing_shared(void **state)
{
	static const char line[] = "{\"request\":\"apply\",\"intent\":{\"generation\":5}}";
	struct proto_in_effect *k = known_of(KNOWN);
	struct reading x;

	(void)state;
	read_against(k, true, line, &x);
	assert_false(shares(&x.req, k, "generation"));
	reading_done(&x);
	proto_in_effect_free(k);
}

/* A number that goes on where the known one ended is another number. */
static void test_longer_number(void **state)
{
	static const char line[] =
		"{\"request\":\"apply\",\"intent\":{\"version\":12,\"nat\":{\"n\":true}}}";
	struct proto_in_effect *k = known_of(KNOWN);
	struct reading x;

	(void)state;
	read_against(k, true, line, &x);
	assert_false(shares(&x.req, k, "version"));
	assert_int_equal(json_integer_value(json_object_get(x.req.intent, "version")), 12);
	assert_true(shares(&x.req, k, "nat"));
	reading_done(&x);
	proto_in_effect_free(k);
}

/* Lines the reading leaves to a whole parse: the same answer as without a known intent. */
static void test_left_to_whole_parse(void **state)
{
	static const char *const lines[] = {
		/* a member twice */
		"{\"request\":\"apply\",\"intent\":{\"version\":1,\"version\":1,\"nat\":{\"n\":true}}}",
		/* a changed member that is not JSON */
		"{\"request\":\"apply\",\"intent\":{\"version\":1,\"generation\":[1,}}",
		/* an escape in a key */
		"{\"request\":\"apply\",\"intent\":{\"versio\\u006e\":1,\"nat\":{\"n\":true}}}",
		/* text after the intent */
		"{\"request\":\"apply\",\"intent\":{\"version\":1} x}",
		/* not an object */
		"{\"request\":\"apply\",\"intent\":[1]}",
		/* an unknown request member before it */
		"{\"request\":\"apply\",\"x\":1,\"intent\":{\"version\":1}}",
		/* a changed member nested deeper (65) than the reading takes (64) */
		"{\"request\":\"apply\",\"intent\":{\"version\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		"]]]]]]]]]]]]]]]]],\"nat\":{\"n\":true}}}",
		/* a show with an intent */
		"{\"request\":\"show\",\"intent\":{\"version\":1}}",
	};
	struct proto_in_effect *k = known_of(KNOWN);
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(lines); i++) {
		struct reading x, whole;

		read_line(k, true, lines[i], &x);
		read_line(NULL, false, lines[i], &whole);
		assert_null(x.req.index);
		assert_int_equal(x.r, whole.r);
		assert_string_equal(strbuf_str(&x.err), strbuf_str(&whole.err));
		if (whole.r == 0 && whole.req.intent)
			assert_true(json_equal(x.req.intent, whole.req.intent));
		reading_done(&x);
		reading_done(&whole);
	}
	proto_in_effect_free(k);
}

/* An intent with a list of n port forwards (to_port of forward `changed` is 9999, -1: none),
 * in a request line when line is true. */
static char *forwards(int n, int changed, bool line)
{
	struct strbuf b = {0};
	int i;

	if (line)
		strbuf_append(&b, "{\"request\":\"apply\",\"intent\":");
	strbuf_append(&b, "{\"version\":1,\"generation\":2,\"nat\":{\"source\":[],"
			  "\"destination\":[");
	for (i = 0; i < n; i++)
		strbuf_printf(&b, "%s{\"in\":\"public\",\"protocol\":\"tcp\",\"ports\":%d,"
			      "\"to\":\"10.1.1.5\",\"to_ports\":%d}",
			      i ? "," : "", 1000 + i, i == changed ? 9999 : 80);
	strbuf_append(&b, "]}}");
	if (line)
		strbuf_append(&b, "}");
	assert_false(b.oom);
	return strbuf_steal(&b);
}

/* A large member changed in one place: read against the known one down to its elements, the
 * unchanged ones the known tree's own; the tree is the whole parse's. A list that grew, or
 * an element whose type changed, is read so too. */
static void test_nested_members(void **state)
{
	_cleanup_free_ char *known = forwards(200, -1, false), *line = forwards(200, 17, true),
			    *longer = forwards(201, 17, true), *shorter = forwards(150, -1, true);
	struct proto_in_effect *k = known_of(known);
	const json_t *was, *now;
	struct reading x;
	size_t i;

	read_against(k, true, line, &x);
	was = json_object_get(json_object_get(proto_in_effect_tree(k), "nat"), "destination");
	now = json_object_get(json_object_get(x.req.intent, "nat"), "destination");
	assert_ptr_not_equal(was, now);
	assert_int_equal(json_array_size(now), 200);
	for (i = 0; i < 200; i++)
		if (i == 17)
			assert_ptr_not_equal(json_array_get(now, i), json_array_get(was, i));
		else
			assert_ptr_equal(json_array_get(now, i), json_array_get(was, i));
	assert_ptr_equal(
	    json_object_get(json_object_get(x.req.intent, "nat"), "source"),
	    json_object_get(json_object_get(proto_in_effect_tree(k), "nat"), "source"));
	reading_done(&x);
	read_against(k, true, longer, &x);
	now = json_object_get(json_object_get(x.req.intent, "nat"), "destination");
	assert_int_equal(json_array_size(now), 201);
	assert_ptr_equal(json_array_get(now, 199), json_array_get(was, 199));
	reading_done(&x);
	read_against(k, true, shorter, &x);
	reading_done(&x);
	/* a duplicate key inside a changed member: the whole parse refuses it, and so does this */
	{
		_cleanup_free_ char *dup = forwards(200, 3, true);
		char *p = strstr(dup, "\"to_ports\":9999");
		struct reading whole;

		assert_non_null(p);
		memcpy(p, "\"to\":\"1.2.3.44\"", 15); /* "to" again, in place of "to_ports" */
		read_line(k, true, dup, &x);
		read_line(NULL, false, dup, &whole);
		assert_int_equal(x.r, whole.r);
		assert_int_not_equal(x.r, 0);
		assert_string_equal(strbuf_str(&x.err), strbuf_str(&whole.err));
		assert_string_equal(strbuf_str(&x.err),
				    "request is not valid JSON: "
				    "/intent/nat/destination/3: duplicate key \"to\"");
		reading_done(&x);
		reading_done(&whole);
	}
	proto_in_effect_free(k);
}

/* A line jansson refuses: a duplicate key or a number out of range is named by its pointer
 * into the request, any other error by its column. */
static void test_not_json(void **state)
{
	static const struct {
		const char *line, *error;
	} v[] = {
	    {"{\"request\":\"show\",\"request\":\"status\"}",
	     "request is not valid JSON: duplicate key \"request\""},
	    {"{\"request\":\"check\",\"intent\":{\"version\":1,\"generation\":"
	     "99999999999999999999}}",
	     "request is not valid JSON: /intent/generation: integer out of range"},
	    {"{\"request\":\"check\",\"intent\":{\"interfaces\":{\"a\":{\"mtu\":1,\"mtu\":2}}}}",
	     "request is not valid JSON: /intent/interfaces/a: duplicate key \"mtu\""},
	    {"{\"request\":\"check\" \"intent\":{}}",
	     "request is not valid JSON: '}' expected near '\"intent\"' (column 27)"},
	};
	struct proto_in_effect *k = known_of(KNOWN);
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct reading x;

		read_line(k, false, v[i].line, &x);
		assert_int_equal(x.r, -EINVAL);
		assert_string_equal(strbuf_str(&x.err), v[i].error);
		reading_done(&x);
	}
	proto_in_effect_free(k);
}

/* The intent in effect sent again is recognised whole; not in effect, it is read. */
static void test_same_text(void **state)
{
	static const char line[] = "{\"request\":\"apply\",\"intent\":" KNOWN "}";
	struct proto_in_effect *k = known_of(KNOWN);
	struct reading x;

	(void)state;
	read_line(k, true, line, &x);
	assert_int_equal(x.r, 0);
	assert_true(x.req.known);
	assert_null(x.req.intent);
	reading_done(&x);
	read_against(k, false, line, &x);
	assert_false(x.req.known);
	assert_true(shares(&x.req, k, "firewall"));
	assert_true(shares(&x.req, k, "generation"));
	reading_done(&x);
	proto_in_effect_free(k);
}

/* The members of history, diff, rollback and commit-confirm: each on its request only, in its
 * range; over the fast path (the intent in effect's text) as over a whole parse. */
static void test_history_members(void **state)
{
	static const struct {
		const char *line;
		int r;
		const char *err;
		int64_t confirm_s, generation, from, to;
	} v[] = {
		{"{\"request\":\"apply\",\"confirm\":30,\"intent\":" KNOWN "}", 0, NULL, 30, 0, 0, 0},
		{"{\"request\":\"apply\",\"confirm\":0,\"intent\":" KNOWN "}", -EINVAL,
		 "\"confirm\" must be an integer from 1 to 86400", 0, 0, 0, 0},
		{"{\"request\":\"apply\",\"confirm\":86401,\"intent\":{}}", -EINVAL,
		 "\"confirm\" must be an integer from 1 to 86400", 0, 0, 0, 0},
		{"{\"request\":\"apply\",\"confirm\":\"30\",\"intent\":{}}", -EINVAL,
		 "\"confirm\" must be an integer from 1 to 86400", 0, 0, 0, 0},
		{"{\"request\":\"check\",\"confirm\":30,\"intent\":{}}", -EINVAL,
		 "request \"check\" takes no \"confirm\"", 0, 0, 0, 0},
		{"{\"request\":\"confirm\"}", 0, NULL, 0, 0, 0, 0},
		{"{\"request\":\"history\"}", 0, NULL, 0, 0, 0, 0},
		{"{\"request\":\"history\",\"from\":1}", -EINVAL,
		 "request \"history\" takes no \"from\"", 0, 0, 0, 0},
		{"{\"request\":\"rollback\"}", 0, NULL, 0, 0, 0, 0},
		{"{\"request\":\"rollback\",\"generation\":7}", 0, NULL, 0, 7, 0, 0},
		{"{\"request\":\"rollback\",\"generation\":-1}", -EINVAL,
		 "\"generation\" must be an integer from 1 to 9223372036854775807", 0, 0, 0, 0},
		{"{\"request\":\"rollback\",\"intent\":{}}", -EINVAL,
		 "request \"rollback\" takes no \"intent\"", 0, 0, 0, 0},
		{"{\"request\":\"diff\",\"from\":3,\"to\":4}", 0, NULL, 0, 0, 3, 4},
		{"{\"request\":\"diff\",\"from\":3}", 0, NULL, 0, 0, 3, 0},
		{"{\"request\":\"diff\",\"to\":3}", -EINVAL, "request \"diff\" needs \"from\"", 0,
		 0, 0, 0},
		{"{\"request\":\"diff\",\"from\":3,\"intent\":" KNOWN "}", 0, NULL, 0, 0, 3, 0},
		{"{\"request\":\"diff\",\"from\":3,\"to\":4,\"intent\":{}}", -EINVAL,
		 "request \"diff\" takes no \"to\"", 0, 0, 0, 0},
	};
	struct proto_in_effect *k = known_of(KNOWN);
	struct reading x;
	size_t i;
	int fast;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		for (fast = 0; fast < 2; fast++) {
			read_line(fast ? k : NULL, fast, v[i].line, &x);
			if (x.r != v[i].r || (v[i].err && strcmp(strbuf_str(&x.err), v[i].err)))
				fail_msg("%s (%s): %d %s", v[i].line, fast ? "known" : "whole", x.r,
					 strbuf_str(&x.err));
			if (x.r == 0) {
				assert_int_equal(x.req.confirm_s, v[i].confirm_s);
				assert_int_equal(x.req.generation, v[i].generation);
				assert_int_equal(x.req.from, v[i].from);
				assert_int_equal(x.req.to, v[i].to);
			}
			reading_done(&x);
		}
	}
	proto_in_effect_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unchanged_members_shared), cmocka_unit_test(test_index_handed_on),
	    cmocka_unit_test(test_nothing_shared),	     cmocka_unit_test(test_longer_number),
	    cmocka_unit_test(test_left_to_whole_parse),	     cmocka_unit_test(test_same_text),
	    cmocka_unit_test(test_nested_members),	     cmocka_unit_test(test_not_json),
	    cmocka_unit_test(test_history_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
