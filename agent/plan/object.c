/* SPDX-License-Identifier: MIT */
/* Objects of the plan: construction, canonical text, comparison. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/strbuf.h"
#include "object.h"

static const char *const kind_table[_OBJ_KIND_MAX] = {
	[OBJ_HOSTNAME] = "hostname",
	[OBJ_LINK] = "link",
	[OBJ_ADDRESS] = "address",
	[OBJ_ROUTE] = "route",
	[OBJ_FW_SET] = "fw-set",
	[OBJ_FW_ELEMENT] = "fw-element",
	[OBJ_FW_CHAIN] = "fw-chain",
	[OBJ_FW_RULE] = "fw-rule",
	[OBJ_NAT_RULE] = "nat-rule",
	[OBJ_FILE] = "file",
};

const char *object_kind_to_string(enum object_kind k)
{
	return (size_t)k < ELEMENTSOF(kind_table) ? kind_table[k] : NULL;
}

int object_kind_from_string(const char *s)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(kind_table); i++)
		if (!strcmp(kind_table[i], s))
			return (int)i;
	return -EINVAL;
}

bool object_kind_is_typed(enum object_kind k)
{
	return k == OBJ_HOSTNAME || k == OBJ_LINK || k == OBJ_ADDRESS || k == OBJ_ROUTE ||
	       k == OBJ_FILE;
}

struct object *object_new(enum object_kind kind)
{
	struct object *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->n_ref = 1;
	o->kind = kind;
	return o;
}

struct object *object_new_text(enum object_kind kind, const char *key, const char *attrs)
{
	struct object *o = object_new(kind);

	if (!o)
		return NULL;
	o->key = strdup(key);
	o->attrs = strdup(attrs);
	if (!o->key || !o->attrs)
		return object_unref(o);
	return o;
}

static int strdup_to(char **dst, const char *src)
{
	if (!src) {
		*dst = NULL;
		return 0;
	}
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

struct object *object_dup(const struct object *o)
{
	struct object *c = object_new(o->kind);
	int r = 0;

	if (!c)
		return NULL;
	c->flags = o->flags;
	r |= strdup_to(&c->key, o->key);
	r |= strdup_to(&c->attrs, o->attrs);
	r |= strdup_to(&c->ptr, o->ptr);
	r |= strdup_to(&c->owner, o->owner);
	switch (o->kind) {
	case OBJ_HOSTNAME:
		r |= strdup_to(&c->hostname, o->hostname);
		break;
	case OBJ_LINK:
		c->link = o->link;
		break;
	case OBJ_ADDRESS:
		c->address = o->address;
		break;
	case OBJ_ROUTE:
		c->route = o->route;
		break;
	case OBJ_FILE:
		c->file = o->file;
		c->file.content = malloc(o->file.size + 1);
		if (c->file.content) {
			memcpy(c->file.content, o->file.content, o->file.size);
			c->file.content[o->file.size] = '\0';
		} else {
			r = -ENOMEM;
		}
		r |= strdup_to(&c->file.service, o->file.service);
		break;
	default:
		break;
	}
	return r ? object_unref(c) : c;
}

struct object *object_ref(struct object *o)
{
	if (o)
		o->n_ref++;
	return o;
}

struct object *object_as_observed(struct object *o)
{
	if (!o->observed)
		o->observed = object_new_text(o->kind, o->key, o->attrs);
	return object_ref(o->observed);
}

struct object *object_unref(struct object *o)
{
	if (!o || --o->n_ref > 0)
		return NULL;
	object_unref(o->observed);
	free(o->key);
	free(o->attrs);
	free(o->ptr);
	free(o->owner);
	if (o->kind == OBJ_HOSTNAME) {
		free(o->hostname);
	} else if (o->kind == OBJ_FILE) {
		/* A private file may hold keys (WireGuard's): cleared before it is freed. */
		if (o->file.content && !(o->file.mode & 0004))
			explicit_bzero(o->file.content, o->file.size);
		free(o->file.content);
		free(o->file.service);
	}
	free(o);
	return NULL;
}

int object_set_ptr(struct object *o, const char *ptr)
{
	char *p = NULL;

	if (ptr && !(p = strdup(ptr)))
		return -ENOMEM;
	free(o->ptr);
	o->ptr = p;
	return 0;
}

int object_set_owner(struct object *o, const char *owner)
{
	char *p = NULL;

	if (owner && strcmp(owner, OBJECT_OWNER_SELF) && !(p = strdup(owner)))
		return -ENOMEM;
	free(o->owner);
	o->owner = p;
	return 0;
}

const char *object_link_name(const struct object *o)
{
	if (o->kind == OBJ_ADDRESS)
		return o->address.ifname;
	if (o->kind == OBJ_ROUTE && o->route.has & OBJ_ROUTE_HAS_DEV)
		return o->route.dev;
	return NULL;
}

uint32_t object_content_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

/* Keys and attributes are built with appends, not printf: routes come by the ten thousand and
 * observing a router formats every one. */
static void object_format_link(const struct object *o, struct strbuf *key, struct strbuf *attrs)
{
	char mac[MAC_STRLEN];

	if (o->flags & OBJ_TUNNEL) {
		strbuf_append(key, "wg:");
		strbuf_append(key, o->link.name);
	} else {
		strbuf_append(key, o->link.has & OBJ_LINK_HAS_MAC ? mac_format(o->link.mac, mac)
								  : o->link.name);
		strbuf_append(attrs, "name=");
		strbuf_append(attrs, o->link.name);
		strbuf_append(attrs, " ");
	}
	if (o->link.has & OBJ_LINK_HAS_MTU) {
		strbuf_append(attrs, "mtu=");
		strbuf_append_uint(attrs, o->link.mtu);
		strbuf_append(attrs, " ");
	}
	strbuf_append(attrs, o->link.up ? "up=true" : "up=false");
}

static void object_format_route(const struct object *o, struct strbuf *key, struct strbuf *attrs)
{
	char buf[PREFIX_STRLEN];

	strbuf_append(key, prefix_format(&o->route.to, buf));
	strbuf_append(key, " metric=");
	strbuf_append_uint(key, o->route.metric);
	if (o->route.has & OBJ_ROUTE_HAS_VIA) {
		strbuf_append(attrs, "via=");
		strbuf_append(attrs, addr_format(&o->route.via, buf));
	}
	if (o->route.has & OBJ_ROUTE_HAS_DEV) {
		strbuf_append(attrs, attrs->len ? " dev=" : "dev=");
		strbuf_append(attrs, o->route.dev);
	}
}

/* "mode=0644 size=812 hash=1a2b3c4d", without printf: files come by the ten thousand. */
static void object_format_file(const struct object *o, struct strbuf *attrs)
{
	static const char hex[] = "0123456789abcdef";
	char buf[64], *p = buf + sizeof(buf);
	uint32_t h;
	size_t n;
	int i;

	*--p = '\0';
	/* No digest of a private file: it would help guess its secrets. */
	if (o->file.mode & 0004) {
		h = object_content_hash(o->file.content, o->file.size);
		for (i = 0; i < 8; i++, h >>= 4)
			*--p = hex[h & 0xf];
		p -= 6;
		memcpy(p, " hash=", 6);
	}
	n = o->file.size;
	do
		*--p = (char)('0' + n % 10);
	while (n /= 10);
	p -= 6;
	memcpy(p, " size=", 6);
	for (i = 0; i < 4; i++)
		*--p = (char)('0' + ((o->file.mode >> (3 * i)) & 7));
	p -= 5;
	memcpy(p, "mode=", 5);
	strbuf_append(attrs, p);
}

int object_finish(struct object *o)
{
	struct strbuf key = {0}, attrs = {0};
	char buf[PREFIX_STRLEN];

	if (!object_kind_is_typed(o->kind))
		return 0;
	switch (o->kind) {
	case OBJ_HOSTNAME:
		strbuf_append(&attrs, "name=");
		strbuf_append(&attrs, o->hostname);
		break;
	case OBJ_LINK:
		object_format_link(o, &key, &attrs);
		break;
	case OBJ_ADDRESS:
		strbuf_append(&key, o->address.ifname);
		strbuf_append(&key, " ");
		strbuf_append(&key, prefix_format(&o->address.addr, buf));
		break;
	case OBJ_ROUTE:
		object_format_route(o, &key, &attrs);
		break;
	case OBJ_FILE:
		strbuf_append(&key, o->key ? o->key : ""); /* the path */
		object_format_file(o, &attrs);
		break;
	default:
		break;
	}
	if (o->owner) {
		strbuf_append(&attrs, attrs.len ? " owner=" : "owner=");
		strbuf_append(&attrs, o->owner);
	}
	free(o->key);
	free(o->attrs);
	o->key = strbuf_steal(&key);
	o->attrs = strbuf_steal(&attrs);
	o->hashed = false;
	return o->key && o->attrs ? 0 : -ENOMEM;
}

static bool link_matches(const struct obj_link *d, const struct obj_link *o)
{
	if (strcmp(d->name, o->name) || d->up != o->up)
		return false;
	if (d->has & OBJ_LINK_HAS_MTU)
		return o->has & OBJ_LINK_HAS_MTU && d->mtu == o->mtu;
	return true;
}

static bool route_matches(const struct obj_route *d, const struct obj_route *o)
{
	if ((d->has & OBJ_ROUTE_HAS_VIA) != (o->has & OBJ_ROUTE_HAS_VIA))
		return false;
	if (d->has & OBJ_ROUTE_HAS_VIA && !addr_equal(&d->via, &o->via))
		return false;
	if (d->has & OBJ_ROUTE_HAS_DEV)
		return o->has & OBJ_ROUTE_HAS_DEV && !strcmp(d->dev, o->dev);
	return true;
}

bool object_matches(const struct object *desired, const struct object *observed)
{
	const struct object *d = desired, *o = observed;

	if (d->kind != o->kind)
		return false;
	switch (d->kind) {
	case OBJ_HOSTNAME:
		return !strcmp(d->hostname, o->hostname);
	case OBJ_LINK:
		return link_matches(&d->link, &o->link);
	case OBJ_ADDRESS:
		return true;
	case OBJ_ROUTE:
		return route_matches(&d->route, &o->route);
	case OBJ_FILE:
		return d->file.mode == o->file.mode && d->file.size == o->file.size &&
		       !memcmp(d->file.content, o->file.content, d->file.size);
	default:
		return !strcmp(d->attrs, o->attrs);
	}
}
