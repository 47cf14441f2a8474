/* SPDX-License-Identifier: MIT */
/*
 * The objects of the plan: everything the agent puts on a router, one object per thing, each
 * with a kind, an identity (key) and its mutable attributes (attrs).
 *
 * Kinds are listed in dependency order: an object may depend only on objects of lower kinds
 * (an address on its link, a route on its link and address, a rule on its set). Creates and
 * replaces run in ascending kind order, deletes in descending order.
 *
 * `key` and `attrs` are canonical text, the same for a desired object (from the intent) and
 * an observed one (from the router), so that two objects compare by strings:
 *
 *   kind        key                          attrs
 *   hostname    "" (there is one)            name=r1
 *   link        52:54:00:00:00:03            name=web mtu=1450 up=true (mtu: only if set)
 *               wg:wg0 (a tunnel)            mtu=1420 up=true
 *   address     web 10.1.1.1/24              (none)
 *   route       0.0.0.0/0 metric=0           via=203.0.113.1 dev=public
 *   fw-set      admins                       type=ipv4
 *   fw-element  admins 198.51.100.0/24       (none)
 *   fw-chain    forward                      policy=drop
 *               input                        policy=drop management_sources=192.0.2.0/24
 *   fw-rule     forward/0                    iifname "web" oifname "public" accept
 *   nat-rule    dnat/public/203.0.113.11/tcp/8000  meta nfproto ipv4 iifname "public" ... dnat ...
 *   file        dnsmasq/vrouter.conf         mode=0644 size=812 hash=1a2b3c4d
 *               (hash: FNV-1a 32 of the content, only for world-readable files)
 *
 * A foreign object (created by someone else: the kernel, keepalived, an operator) carries
 * its owner, and its attrs end with "owner=NAME". Hostname, link, address, route and file
 * objects have a typed payload (for the backends); their key and attrs are derived from it
 * by object_finish() (a file's key, its path, is set before). Firewall and NAT objects are
 * their text.
 *
 * Objects are reference-counted and immutable once finished: sets and operations share them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "render/render.h"

enum object_kind {
	OBJ_HOSTNAME,
	OBJ_LINK,
	OBJ_ADDRESS,
	OBJ_ROUTE,
	OBJ_FW_SET,
	OBJ_FW_ELEMENT,
	OBJ_FW_CHAIN,
	OBJ_FW_RULE,
	OBJ_NAT_RULE,
	OBJ_FILE,
	_OBJ_KIND_MAX,
};

/* The owner that marks the agent's own objects in an observed state (the kernel marker
 * rtm_protocol/ifa_proto for routes and addresses). In memory, an own object has owner NULL. */
#define OBJECT_OWNER_SELF "vrouter"

/* Kernel link names: at most 15 bytes. */
#define OBJ_NAME_SIZE 16

enum {
	OBJ_MANAGEMENT = 1 << 0, /* link or address of a management interface */
	OBJ_TUNNEL = 1 << 1,	 /* link: a tunnel the agent creates, keyed "wg:NAME" */
};

enum {
	OBJ_LINK_HAS_MAC = 1 << 0, /* a NIC, found by MAC; tunnels have none */
	OBJ_LINK_HAS_MTU = 1 << 1, /* desired: unset means "leave unchanged" */
};

struct obj_link {
	unsigned has;
	uint8_t mac[6];
	char name[OBJ_NAME_SIZE]; /* desired: the intent's name; observed: the current name */
	uint32_t mtu;
	bool up;
};

struct obj_address {
	char ifname[OBJ_NAME_SIZE];
	struct ip_prefix addr; /* address and on-link length */
};

enum {
	OBJ_ROUTE_HAS_VIA = 1 << 0,
	OBJ_ROUTE_HAS_DEV = 1 << 1, /* desired: unset means "any device" */
};

struct obj_route {
	unsigned has;
	struct ip_prefix to; /* a network */
	uint32_t metric;
	struct ip_addr via;
	char dev[OBJ_NAME_SIZE];
};

struct obj_file {
	char *content;
	size_t size;
	unsigned mode;
	char *service; /* desired only: the daemon that reads it */
	enum change_class change;
};

struct object {
	unsigned n_ref;
	enum object_kind kind;
	unsigned flags;
	char *key;
	char *attrs;
	char *ptr;   /* JSON Pointer of its origin: the intent (desired) or the state (observed) */
	char *owner; /* NULL: the agent's own */
	/* The hash of kind and key, once an object set computed it (objset.c); object_finish()
	 * forgets it with the key. */
	uint32_t hash;
	bool hashed;
	struct object *observed; /* object_as_observed(), once made (a reference) */
	union {
		char *hostname;
		struct obj_link link;
		struct obj_address address;
		struct obj_route route;
		struct obj_file file;
	};
};

const char *object_kind_to_string(enum object_kind k);
int object_kind_from_string(const char *s);
/* Whether objects of this kind have a typed payload (key and attrs come from it). */
bool object_kind_is_typed(enum object_kind k);

/* A new object with one reference, or NULL. */
struct object *object_new(enum object_kind kind);
/* A firewall or NAT object: its text is the object. NULL on OOM. */
struct object *object_new_text(enum object_kind kind, const char *key, const char *attrs);
/* A copy with one reference (payload, ptr and owner copied, key/attrs too). */
struct object *object_dup(const struct object *o);
struct object *object_ref(struct object *o);
/* A text object as observe reads it back (kind, key and attrs: no pointer, flags or owner),
 * made once and kept with o: a new reference, or NULL on OOM. A backend that remembers what it
 * committed keeps these; a kept section's objects bring theirs along. */
struct object *object_as_observed(struct object *o);
/* Drops a reference; frees on the last. Accepts NULL; returns NULL. */
struct object *object_unref(struct object *o);
int object_set_ptr(struct object *o, const char *ptr);
int object_set_owner(struct object *o, const char *owner); /* "vrouter" or NULL: own */
/* Derives key and attrs of a typed object from its payload (again after a change). 0 or
 * -ENOMEM. */
int object_finish(struct object *o);
/* Whether an observed object already has everything a desired object asks for. Attributes
 * the desired object leaves unset (link mtu, route dev) are not compared. Ownership is not
 * compared either. */
bool object_matches(const struct object *desired, const struct object *observed);
/* The name of the link an address or a route is on; NULL for a route without a device and
 * for other kinds. */
const char *object_link_name(const struct object *o);
/* The FNV-1a 32-bit hash of a file's content, as shown in the attrs of a world-readable
 * file: a change of content that keeps the size still shows in the plan. */
uint32_t object_content_hash(const char *s, size_t n);
