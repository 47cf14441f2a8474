/* SPDX-License-Identifier: MIT */
/*
 * The observed state as JSON, the recording backend's file format. Every section is
 * optional:
 *
 *   {"hostname": "r1",
 *    "links": [{"name": "eth0", "mac": "52:54:00:00:00:01", "mtu": 1500, "up": true},
 *              {"name": "wg0", "type": "wireguard", "up": true, "owner": "vrouter"}],
 *    "addresses": [{"interface": "eth0", "address": "169.254.3.10/16", "owner": "vrouter"}],
 *    "routes": [{"to": "0.0.0.0/0", "via": "203.0.113.1", "interface": "eth1", "metric": 0,
 *                "owner": "vrouter"}],
 *    "firewall": [{"kind": "fw-rule", "key": "forward/0", "attrs": "..."}],
 *    "files": [{"path": "dnsmasq/vrouter.conf", "mode": 420, "content": "..."}]}
 *
 * Links are named by their current kernel name (1-15 bytes, no '/', ':' or white space);
 * addresses and routes refer to them by it. A link has a "mac", or is a tunnel ("type":
 * "wireguard", no MAC, an optional "owner"); its "mtu" is optional (unknown). "owner" is
 * required on addresses and routes: "vrouter" for the agent's own objects (the kernel
 * marker), anything else for foreign ones. A route's "interface" and "via" are optional,
 * "metric" defaults to 0; routes are those of the main table. "firewall" holds the objects
 * of the agent's nftables table as text: "kind" fw-set, fw-element, fw-chain, fw-rule or
 * nat-rule, "key", "attrs". A file's "path" is relative to the configuration directory,
 * "mode" a number (420 = 0644). "content" and "attrs" are a string, or an array of strings
 * to concatenate (observed-json-write.c writes content as its lines).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/jread.h"
#include "observed.h"

#define OBS_LIMIT (1u << 24) /* elements of one section */

static const char *const top_keys[] = {
	"hostname", "links", "addresses", "routes", "firewall", "files", NULL,
};
static const char *const link_keys[] = {"name", "mac", "type", "mtu", "up", "owner", NULL};
static const char *const addr_keys[] = {"interface", "address", "owner", NULL};
static const char *const route_keys[] = {"to", "via", "interface", "metric", "owner", NULL};
static const char *const nft_keys[] = {"kind", "key", "attrs", NULL};
static const char *const file_keys[] = {"path", "mode", "content", NULL};

/* A member that is a string or an array of strings, concatenated. 1, 0 absent, -1. */
static int read_text(struct jr *r, const struct json_t *obj, const char *key, char **ret)
{
	const struct json_t *v = jr_member(obj, key);
	struct strbuf b = {0};
	size_t mark, i;
	int res = 1;

	if (!v) {
		jr_error(r, "missing required key \"%s\"", key);
		return 0;
	}
	mark = jr_push_key(r, key);
	if (jr_is_string(v)) {
		res = jr_string_value(r, v, ret);
	} else if (jr_is_array(v)) {
		strbuf_append(&b, "");
		for (i = 0; i < jr_size(v) && res > 0; i++) {
			const char *s;
			size_t m = jr_push_index(r, i);

			res = jr_string_ref(r, jr_at(v, i), &s);
			if (res > 0)
				strbuf_append(&b, s);
			jr_pop(r, m);
		}
		*ret = res > 0 ? strbuf_steal(&b) : NULL;
		strbuf_done(&b);
		if (res > 0 && !*ret) {
			jr_error(r, "out of memory");
			res = -1;
		}
	} else {
		jr_error(r, "expected a string or an array of strings, got %s", jr_type_name(v));
		res = -1;
	}
	jr_pop(r, mark);
	return res;
}

/* A non-empty string member, borrowed from the document. 1, 0 absent, -1 invalid. */
static int read_checked(struct jr *r, const struct json_t *obj, const char *key, bool required,
			const char **ret)
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
	res = jr_string_ref(r, v, ret);
	if (res > 0 && !**ret) {
		jr_error(r, "must not be empty");
		res = -1;
	}
	jr_pop(r, mark);
	return res;
}

static void error_at(struct jr *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports an error at member key of the current object. */
static void error_at(struct jr *r, const char *key, const char *fmt, ...)
{
	size_t mark = jr_push_key(r, key);
	struct strbuf msg = {0};
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(&msg, fmt, ap);
	va_end(ap);
	jr_error(r, "%s", strbuf_str(&msg));
	strbuf_done(&msg);
	jr_pop(r, mark);
}

static bool link_name_is_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= OBJ_NAME_SIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* "owner": required on addresses and routes. */
static int read_owner(struct jr *r, const struct json_t *v, struct object *o)
{
	const char *s;

	if (read_checked(r, v, "owner", true, &s) <= 0)
		return -1;
	return object_set_owner(o, s) < 0 ? -ENOMEM : 0;
}

/* Adds a finished object to set; a duplicate key is an error at the current pointer. */
static int add_unique(struct jr *r, struct objset *set, struct object *o, const char *what)
{
	int res = object_finish(o);

	if (res >= 0)
		res = objset_add(set, o);
	if (res == -EEXIST) {
		jr_error(r, "duplicate %s (also at %s)", what,
			 objset_get(set, o->kind, o->key)->ptr);
		res = 0;
	}
	object_unref(o);
	return res;
}

static int read_link(struct jr *r, const struct json_t *v, struct observed *obs)
{
	struct object *o = object_new(OBJ_LINK);
	const char *name = NULL, *type = NULL, *mac, *owner;
	int64_t mtu;
	int res = 0;

	if (!o || object_set_ptr(o, jr_ptr(r)) < 0) {
		object_unref(o);
		return -ENOMEM;
	}
	if (!jr_object(r, v, link_keys))
		return object_unref(o), 0;
	if (read_checked(r, v, "name", true, &name) > 0) {
		if (!link_name_is_valid(name))
			error_at(r, "name", "invalid link name \"%s\"", name);
		else if (observed_find_link(obs, name) >= 0)
			error_at(r, "name", "duplicate link name \"%s\"", name);
		else
			snprintf(o->link.name, OBJ_NAME_SIZE, "%s", name);
	}
	if (read_checked(r, v, "type", false, &type) > 0) {
		if (strcmp(type, "wireguard"))
			error_at(r, "type", "unknown link type \"%s\" (expected \"wireguard\")",
				 type);
		else
			o->flags |= OBJ_TUNNEL;
	}
	if (o->flags & OBJ_TUNNEL) {
		if (jr_member(v, "mac"))
			error_at(r, "mac", "a wireguard link has no MAC");
		if (read_checked(r, v, "owner", false, &owner) > 0)
			res = object_set_owner(o, owner);
	} else {
		if (read_checked(r, v, "mac", true, &mac) > 0) {
			if (mac_parse(mac, o->link.mac) < 0)
				error_at(r, "mac", "invalid MAC address \"%s\"", mac);
			o->link.has |= OBJ_LINK_HAS_MAC;
		}
		if (jr_member(v, "owner"))
			error_at(r, "owner", "only tunnel links have an owner");
	}
	if (jr_int(r, v, "mtu", false, 0, UINT32_MAX, &mtu) > 0) {
		o->link.mtu = (uint32_t)mtu;
		o->link.has |= OBJ_LINK_HAS_MTU;
	}
	jr_bool(r, v, "up", true, &o->link.up);
	if (res >= 0 && o->link.name[0])
		res = object_finish(o);
	if (res >= 0 && o->link.name[0])
		res = observed_add_link(obs, o);
	object_unref(o);
	return res;
}

/* "interface": the current name of a link of the state. */
static bool read_ifname(struct jr *r, const struct json_t *v, const char *key, bool required,
			const struct observed *obs, char name[OBJ_NAME_SIZE])
{
	const char *s;

	if (read_checked(r, v, key, required, &s) <= 0)
		return false;
	if (observed_find_link(obs, s) < 0) {
		error_at(r, key, "unknown link \"%s\"", s);
		return false;
	}
	snprintf(name, OBJ_NAME_SIZE, "%s", s);
	return true;
}

static int read_address(struct jr *r, const struct json_t *v, struct observed *obs)
{
	struct object *o = object_new(OBJ_ADDRESS);
	size_t before = r->errs->n;
	const char *s;

	if (!o || object_set_ptr(o, jr_ptr(r)) < 0 || !jr_object(r, v, addr_keys)) {
		object_unref(o);
		return o ? 0 : -ENOMEM;
	}
	read_ifname(r, v, "interface", true, obs, o->address.ifname);
	if (read_checked(r, v, "address", true, &s) > 0 && prefix_parse(s, &o->address.addr) < 0)
		error_at(r, "address",
			 "invalid address \"%s\" (expected an address and its prefix length, "
			 "e.g. \"10.1.1.1/24\")",
			 s);
	if (read_owner(r, v, o) == -ENOMEM)
		return object_unref(o), -ENOMEM;
	if (r->errs->n != before)
		return object_unref(o), 0;
	return add_unique(r, &obs->addrs, o, "address");
}

static void read_route_addrs(struct jr *r, const struct json_t *v, struct object *o)
{
	const char *s;

	if (read_checked(r, v, "to", true, &s) > 0) {
		if (prefix_parse(s, &o->route.to) < 0)
			error_at(r, "to", "invalid prefix \"%s\"", s);
		else if (prefix_has_host_bits(&o->route.to))
			error_at(r, "to", "prefix \"%s\" has host bits set", s);
	}
	if (read_checked(r, v, "via", false, &s) > 0) {
		if (addr_parse(s, &o->route.via) < 0)
			error_at(r, "via", "invalid address \"%s\"", s);
		else if (o->route.to.addr.family && o->route.via.family != o->route.to.addr.family)
			error_at(r, "via", "gateway %s is of another address family than \"to\"",
				 s);
		o->route.has |= OBJ_ROUTE_HAS_VIA;
	}
}

static int read_route(struct jr *r, const struct json_t *v, struct observed *obs)
{
	struct object *o = object_new(OBJ_ROUTE);
	size_t before = r->errs->n;
	int64_t metric;

	if (!o || object_set_ptr(o, jr_ptr(r)) < 0 || !jr_object(r, v, route_keys)) {
		object_unref(o);
		return o ? 0 : -ENOMEM;
	}
	read_route_addrs(r, v, o);
	if (read_ifname(r, v, "interface", false, obs, o->route.dev))
		o->route.has |= OBJ_ROUTE_HAS_DEV;
	if (jr_int(r, v, "metric", false, 0, UINT32_MAX, &metric) > 0)
		o->route.metric = (uint32_t)metric;
	if (read_owner(r, v, o) == -ENOMEM)
		return object_unref(o), -ENOMEM;
	if (r->errs->n != before)
		return object_unref(o), 0;
	return add_unique(r, &obs->routes, o, "route (same \"to\" and \"metric\")");
}

static int read_nft(struct jr *r, const struct json_t *v, struct observed *obs)
{
	_cleanup_free_ char *attrs = NULL;
	size_t before = r->errs->n;
	const char *kind, *key;
	struct object *o;
	int k = -1;

	if (!jr_object(r, v, nft_keys))
		return 0;
	if (read_checked(r, v, "kind", true, &kind) > 0) {
		k = object_kind_from_string(kind);
		if (k < OBJ_FW_SET || k > OBJ_NAT_RULE)
			error_at(r, "kind",
				 "unknown kind \"%s\" (expected fw-set, fw-element, fw-chain, "
				 "fw-rule or nat-rule)",
				 kind);
	}
	read_checked(r, v, "key", true, &key);
	read_text(r, v, "attrs", &attrs);
	if (r->errs->n != before)
		return 0;
	o = object_new_text((enum object_kind)k, key, attrs);
	if (!o || object_set_ptr(o, jr_ptr(r)) < 0)
		return object_unref(o), -ENOMEM;
	return add_unique(r, &obs->nft, o, "object (same kind and key)");
}

static bool path_is_valid(const char *s)
{
	const char *c = s;

	if (!*s || *s == '/')
		return false;
	while (*c) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/')
			c++;
		if (!*c && c[-1] == '/')
			return false;
	}
	return true;
}

static int read_file(struct jr *r, const struct json_t *v, struct observed *obs)
{
	struct object *o = object_new(OBJ_FILE);
	size_t before = r->errs->n;
	const char *path;
	int64_t mode;

	if (!o || object_set_ptr(o, jr_ptr(r)) < 0 || !jr_object(r, v, file_keys)) {
		object_unref(o);
		return o ? 0 : -ENOMEM;
	}
	if (read_checked(r, v, "path", true, &path) > 0) {
		if (!path_is_valid(path))
			error_at(r, "path",
				 "invalid path \"%s\" (expected a relative path without empty, "
				 "\".\" or \"..\" components)",
				 path);
		else if (!(o->key = strdup(path)))
			return object_unref(o), -ENOMEM;
	}
	if (jr_int(r, v, "mode", true, 0, 07777, &mode) > 0)
		o->file.mode = (unsigned)mode;
	if (read_text(r, v, "content", &o->file.content) > 0)
		o->file.size = strlen(o->file.content);
	if (r->errs->n != before)
		return object_unref(o), 0;
	return add_unique(r, &obs->files, o, "file");
}

typedef int (*read_elem_fn)(struct jr *r, const struct json_t *v, struct observed *obs);

static int read_section(struct jr *r, const struct json_t *root, const char *key,
			read_elem_fn fn, struct observed *obs)
{
	const struct json_t *v = jr_member(root, key);
	size_t mark, i;
	int res = 0;

	if (!v)
		return 0;
	mark = jr_push_key(r, key);
	if (jr_array(r, v, OBS_LIMIT))
		for (i = 0; i < jr_size(v) && res >= 0; i++) {
			size_t m = jr_push_index(r, i);

			res = fn(r, jr_at(v, i), obs);
			jr_pop(r, m);
		}
	jr_pop(r, mark);
	return res;
}

static int read_hostname(struct jr *r, const struct json_t *root, struct observed *obs)
{
	const char *s;

	if (read_checked(r, root, "hostname", false, &s) <= 0)
		return 0;
	obs->hostname = object_new(OBJ_HOSTNAME);
	if (!obs->hostname || !(obs->hostname->hostname = strdup(s)) ||
	    object_set_ptr(obs->hostname, "/hostname") < 0)
		return -ENOMEM;
	return object_finish(obs->hostname);
}

int observed_from_json(const char *buf, size_t len, struct observed *ret, struct errlist *errs)
{
	struct observed obs = {0};
	struct json_t *root = NULL;
	struct jr r = {.errs = errs};
	size_t before = errs->n;
	int res = 0;

	if (jr_load(errs, buf, len, &root) < 0)
		return -EINVAL;
	if (jr_object(&r, root, top_keys)) {
		res = read_hostname(&r, root, &obs);
		if (res >= 0)
			res = read_section(&r, root, "links", read_link, &obs);
		if (res >= 0)
			res = read_section(&r, root, "addresses", read_address, &obs);
		if (res >= 0)
			res = read_section(&r, root, "routes", read_route, &obs);
		if (res >= 0)
			res = read_section(&r, root, "firewall", read_nft, &obs);
		if (res >= 0)
			res = read_section(&r, root, "files", read_file, &obs);
	}
	jr_done(&r);
	jr_sort_errors(errs, root);
	jr_unref(root);
	if (res >= 0 && (errs->n != before || errs->oom))
		res = -EINVAL;
	if (res < 0) {
		observed_done(&obs);
		return res;
	}
	*ret = obs;
	return 0;
}
