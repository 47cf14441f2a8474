/* SPDX-License-Identifier: MIT */
/*
 * The observed state of a router, as the backends see it: links under their current kernel
 * names, the addresses and routes on them, the agent's firewall table and configuration
 * files. Filled by the backends' observe(); the recording backend reads and writes it as
 * JSON (observed-json.c).
 *
 * observed_objects() turns it into objects comparable with the desired ones: links found by
 * MAC, addresses and routes renamed to the intent's link names, everything on links the
 * intent does not know dropped.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/errlist.h"
#include "lib/strbuf.h"
#include "objset.h"

struct observed {
	struct object *hostname; /* NULL: unknown */
	struct object **links;	 /* OBJ_LINK, name = current kernel name, in kernel order */
	size_t n_links;
	size_t cap_links;
	struct objset addrs;  /* OBJ_ADDRESS, ifname = current kernel name */
	struct objset routes; /* OBJ_ROUTE (main table), dev = current kernel name */
	struct objset nft;    /* fw-set, fw-element, fw-chain, fw-rule, nat-rule */
	struct objset files;  /* OBJ_FILE, paths relative to the configuration directory */
};

void observed_done(struct observed *obs);
/* Empties the hostname, links, addresses and routes (what the kernel backend observes). */
void observed_drop_net(struct observed *obs);
/* A copy sharing the (immutable) objects. */
int observed_copy(const struct observed *obs, struct observed *ret);
/* Appends a link (takes a new reference). */
int observed_add_link(struct observed *obs, struct object *link);
/* The index of the link currently named `name`, or -ENOENT. */
int observed_find_link(const struct observed *obs, const char *name);
/* Removes link i and everything on it (its addresses and routes), as the kernel does. */
int observed_remove_link(struct observed *obs, size_t i);
/* Renames the link at index i, moving its addresses and routes along. */
int observed_rename_link(struct observed *obs, size_t i, const char *name);

/* The MACs of the intent's NICs that no link of the router has, in the order of its links: what
 * a router whose NICs come late waits for (the daemon's wait for late links). */
struct missing_links {
	uint8_t (*mac)[6];
	size_t n;
};
void missing_links_done(struct missing_links *m);

/*
 * Normalises the observed state against the desired objects (only their links are used):
 * the result holds objects keyed like desired ones. Plan errors (a MAC of the intent on no
 * link or on two, a desired name held by a link outside the intent) are reported at the
 * intent's pointers. Returns 0, -EINVAL (errors reported) or -ENOMEM. missing (NULL: not
 * wanted): the MACs on no link are appended to it as well, also when that fails the plan.
 */
int observed_objects(const struct observed *obs, const struct objset *desired,
		     struct objset *ret, struct missing_links *missing, struct errlist *errs);

/* JSON (observed-json.c, observed-json-write.c). Reading is strict: unknown keys, bad
 * values, duplicates and references to unknown links are reported with pointers into the
 * document. 0 or -EINVAL/-ENOMEM; *ret is filled only on success. */
int observed_from_json(const char *buf, size_t len, struct observed *ret, struct errlist *errs);
int observed_to_json(const struct observed *obs, struct strbuf *out);
