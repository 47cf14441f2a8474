/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kept.h"

static bool prefix_same(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->len == b->len && addr_equal(&a->addr, &b->addr);
}

static const struct iface *find_iface(const struct intent *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->n_ifaces; i++)
		if (!strcmp(in->ifaces[i].name, name))
			return &in->ifaces[i];
	return NULL;
}

static bool lists(const struct iface *f, const struct ip_prefix *addr)
{
	size_t i;

	for (i = 0; i < f->n_addrs; i++)
		if (prefix_same(&f->addrs[i], addr))
			return true;
	return false;
}

/* The management interface of in with that MAC, or NULL. */
static const struct iface *managed_by_mac(const struct intent *in, const uint8_t mac[6])
{
	size_t i;

	for (i = 0; i < in->n_ifaces; i++)
		if (in->ifaces[i].management && !memcmp(in->ifaces[i].mac, mac, 6))
			return &in->ifaces[i];
	return NULL;
}

bool kept_addrs_is_kept(const struct intent *in, const char *ifname, const struct ip_prefix *addr)
{
	const struct iface *f = in ? find_iface(in, ifname) : NULL;

	return f && f->management && !lists(f, addr);
}

static struct kept_addr *find(const struct kept_addrs *k, const char *ifname,
			      const struct ip_prefix *addr)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->v[i].ifname, ifname) && prefix_same(&k->v[i].addr, addr))
			return &k->v[i];
	return NULL;
}

int64_t kept_addrs_generation(const struct kept_addrs *k, const char *ifname,
			      const struct ip_prefix *addr)
{
	const struct kept_addr *e = find(k, ifname, addr);

	return e ? e->generation : 0;
}

/* Appends addr on new's management interface g, from generation, unless v has it. */
static void add(struct kept_addr *v, size_t *n, const struct iface *g, const struct ip_prefix *addr,
		int64_t generation)
{
	struct kept_addrs now = {v, *n};

	if (lists(g, addr) || find(&now, g->name, addr))
		return;
	memset(&v[*n], 0, sizeof(v[*n]));
	strncpy(v[*n].ifname, g->name, IFNAMSIZ - 1);
	memcpy(v[*n].mac, g->mac, 6);
	v[*n].addr = *addr;
	v[(*n)++].generation = generation;
}

int kept_addrs_update(struct kept_addrs *k, const struct intent *old, const struct intent *new)
{
	size_t i, j, n = 0, more = 0;
	struct kept_addr *v;

	for (i = 0; old && i < old->n_ifaces; i++)
		more += old->ifaces[i].n_addrs;
	v = calloc(k->n + more + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < k->n; i++) {
		const struct iface *g = managed_by_mac(new, k->v[i].mac);

		if (g)
			add(v, &n, g, &k->v[i].addr, k->v[i].generation);
	}
	for (i = 0; old && i < old->n_ifaces; i++) {
		const struct iface *f = &old->ifaces[i];
		/* old's link, managed or not then: new manages it, so the plan keeps what
		 * old had there */
		const struct iface *g = managed_by_mac(new, f->mac);

		for (j = 0; g && j < f->n_addrs; j++)
			add(v, &n, g, &f->addrs[j], old->generation);
	}
	free(k->v);
	k->v = v;
	k->n = n;
	return 0;
}

void kept_addrs_done(struct kept_addrs *k)
{
	free(k->v);
	*k = (struct kept_addrs){0};
}
