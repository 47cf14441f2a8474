/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "lib/cleanup.h"
#include "read.h"
#include "lib/utf8.h"

int read_member(struct jr *r, const struct json_t *obj, const char *key, bool required,
		read_fn fn, void *ret)
{
	const struct json_t *v = jr_member(obj, key);
	size_t mark;
	int res;

	if (!v) {
		if (required)
			jr_error(r, "missing required key \"%s\"", key);
		return 0;
	}
	mark = jr_push_key(r, key);
	res = fn(r, v, ret);
	jr_pop(r, mark);
	return res;
}

int read_array_value(struct jr *r, const struct json_t *v, size_t max, size_t elem_size,
		     read_fn fn, void *ret_items, size_t *ret_n)
{
	char *items = NULL;
	size_t i, n = 0;
	int res = 1;

	if (!jr_array(r, v, max))
		return -1;
	if (jr_size(v)) {
		items = calloc(jr_size(v), elem_size);
		if (!items) {
			jr_error(r, "out of memory");
			return -1;
		}
	}
	for (i = 0; i < jr_size(v); i++) {
		size_t m = jr_push_index(r, i);

		if (fn(r, jr_at(v, i), items + n * elem_size) < 0)
			res = -1;
		n++;
		jr_pop(r, m);
	}
	*(void **)ret_items = items;
	*ret_n = n;
	return res;
}

int read_array(struct jr *r, const struct json_t *obj, const char *key, bool required,
	       size_t max, size_t elem_size, read_fn fn, void *ret_items, size_t *ret_n)
{
	const struct json_t *v = jr_member(obj, key);
	size_t mark;
	int res;

	if (!v) {
		if (required)
			jr_error(r, "missing required key \"%s\"", key);
		return 0;
	}
	mark = jr_push_key(r, key);
	res = read_array_value(r, v, max, elem_size, fn, ret_items, ret_n);
	jr_pop(r, mark);
	return res;
}

int read_names(struct jr *r, const struct json_t *obj, const char *key, char ***ret,
	       size_t *ret_n)
{
	const struct json_t *v = jr_member(obj, key);
	char **one;
	size_t mark;

	if (!v)
		return 0;
	if (jr_is_array(v)) {
		int res = read_array(r, obj, key, false, LIMIT_LIST, sizeof(char *), read_name, ret,
				     ret_n);

		if (res > 0 && *ret_n == 0) {
			mark = jr_push_key(r, key);
			jr_error(r, "must not be empty");
			jr_pop(r, mark);
			return -1;
		}
		return res;
	}
	one = calloc(1, sizeof(char *));
	if (!one)
		return -1;
	mark = jr_push_key(r, key);
	if (read_name(r, v, one) < 0) {
		jr_pop(r, mark);
		free(one);
		return -1;
	}
	jr_pop(r, mark);
	*ret = one;
	*ret_n = 1;
	return 1;
}

bool name_is_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > NAME_MAX_LEN || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

bool check_map_name(struct jr *r, const char *key)
{
	if (name_is_valid(key))
		return true;
	jr_error(r,
		 "invalid name \"%.*s\": names are 1-15 characters of a-z, 0-9 and '-', "
		 "starting with a letter",
		 UTF8_CUT(key, 64));
	return false;
}

int read_name(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (!check_map_name(r, s))
		return -1;
	return jr_string_value(r, v, ret);
}

int read_addr(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (strchr(s, '/')) {
		jr_error(r, "\"%.*s\" is a prefix, expected an address without a length",
			 UTF8_CUT(s, 64));
		return -1;
	}
	if (addr_parse(s, ret) < 0) {
		jr_error(r, "\"%.*s\" is not an IPv4 or IPv6 address", UTF8_CUT(s, 64));
		return -1;
	}
	return 1;
}

int read_unicast_addr(struct jr *r, const struct json_t *v, void *ret)
{
	char buf[ADDR_STRLEN];
	struct ip_addr a;

	if (read_addr(r, v, &a) < 0)
		return -1;
	if (addr_is_loopback(&a)) {
		jr_error(r, "%s is a loopback address", addr_format(&a, buf));
		return -1;
	}
	if (!addr_is_unicast(&a)) {
		jr_error(r, "%s is not a unicast address", addr_format(&a, buf));
		return -1;
	}
	*(struct ip_addr *)ret = a;
	return 1;
}

static int read_prefix_any(struct jr *r, const struct json_t *v, struct ip_prefix *ret,
			   bool host_ok)
{
	char buf[PREFIX_STRLEN];
	struct ip_prefix p, n;
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if ((host_ok ? prefix_parse_or_host(s, &p) : prefix_parse(s, &p)) < 0) {
		if (!host_ok && !strchr(s, '/'))
			jr_error(r, "\"%.*s\" has no prefix length (e.g. \"10.0.0.0/8\")",
				 UTF8_CUT(s, 64));
		else
			jr_error(r, "\"%.*s\" is not an IPv4 or IPv6 prefix", UTF8_CUT(s, 64));
		return -1;
	}
	if (prefix_has_host_bits(&p)) {
		n = prefix_network(&p);
		jr_error(r, "prefix \"%.*s\" has host bits set (did you mean \"%s\"?)",
			 UTF8_CUT(s, 64), prefix_format(&n, buf));
		return -1;
	}
	*ret = p;
	return 1;
}

int read_prefix(struct jr *r, const struct json_t *v, void *ret)
{
	return read_prefix_any(r, v, ret, false);
}

int read_prefix_or_host(struct jr *r, const struct json_t *v, void *ret)
{
	return read_prefix_any(r, v, ret, true);
}

int read_iface_addr(struct jr *r, const struct json_t *v, void *ret)
{
	struct ip_prefix p;
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (!strchr(s, '/')) {
		jr_error(r, "\"%.*s\" has no prefix length (e.g. \"10.1.1.1/24\")",
			 UTF8_CUT(s, 64));
		return -1;
	}
	if (prefix_parse(s, &p) < 0) {
		jr_error(r, "\"%.*s\" is not an interface address (address/length)",
			 UTF8_CUT(s, 64));
		return -1;
	}
	if (addr_is_unspecified(&p.addr) || addr_is_multicast(&p.addr) ||
	    addr_is_loopback(&p.addr)) {
		jr_error(r, "\"%.*s\" is not a unicast address", UTF8_CUT(s, 64));
		return -1;
	}
	if (prefix_is_network_or_broadcast(&p)) {
		jr_error(r, "\"%.*s\" is the network or broadcast address of its prefix",
			 UTF8_CUT(s, 64));
		return -1;
	}
	*(struct ip_prefix *)ret = p;
	return 1;
}

int read_port_range(struct jr *r, const struct json_t *v, void *ret)
{
	struct port_range *pr = ret;
	const char *s;
	int64_t i;

	if (jr_is_integer(v)) {
		if (jr_int_value(r, v, 1, 65535, &i) < 0)
			return -1;
		pr->first = pr->last = (uint16_t)i;
		return 1;
	}
	if (!jr_is_string(v)) {
		jr_error(r, "expected a port (1-65535) or a range \"first-last\", got %s",
			 jr_type_name(v));
		return -1;
	}
	jr_string_ref(r, v, &s);
	switch (port_range_parse(s, pr)) {
	case 0:
		return 1;
	case -ERANGE:
		jr_error(r, "port range %.*s is reversed", UTF8_CUT(s, 32));
		return -1;
	default:
		jr_error(r, "\"%.*s\" is not a port (1-65535) or a range \"first-last\"",
			 UTF8_CUT(s, 32));
		return -1;
	}
}

int read_mac(struct jr *r, const struct json_t *v, void *ret)
{
	static const uint8_t zero[6];
	uint8_t m[6];
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (mac_parse(s, m) < 0) {
		jr_error(r, "\"%.*s\" is not a MAC address (like 52:54:00:12:34:56)",
			 UTF8_CUT(s, 32));
		return -1;
	}
	if (m[0] & 1 || !memcmp(m, zero, 6)) {
		jr_error(r, "\"%.*s\" is not a unicast MAC address", UTF8_CUT(s, 32));
		return -1;
	}
	memcpy(ret, m, 6);
	return 1;
}

static bool label_is_valid(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

int read_hostname(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (!label_is_valid(s, strlen(s))) {
		jr_error(r,
			 "\"%.*s\" is not a host name (1-63 letters, digits and '-', not "
			 "starting or ending with '-')",
			 UTF8_CUT(s, 64));
		return -1;
	}
	return jr_string_value(r, v, ret);
}

bool dns_name_is_valid(const char *s)
{
	const char *p, *dot;

	if (strlen(s) < 1 || strlen(s) > 253)
		return false;
	for (p = s;; p = dot + 1) {
		dot = strchr(p, '.');
		if (!label_is_valid(p, dot ? (size_t)(dot - p) : strlen(p)))
			return false;
		if (!dot)
			return true;
	}
}

bool check_map_dns_name(struct jr *r, const char *key)
{
	if (dns_name_is_valid(key))
		return true;
	jr_error(r,
		 "\"%.*s\" is not a DNS name (dot-separated labels of letters, digits and "
		 "'-', at most 253 characters, no trailing dot)",
		 UTF8_CUT(key, 64));
	return false;
}

int read_dns_name(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (!check_map_dns_name(r, s))
		return -1;
	return jr_string_value(r, v, ret);
}
