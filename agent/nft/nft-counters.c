/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft-counters.h"
#include "nft-desc.h"

/* The kind named by the len bytes at s ("fw-rule"), or -EINVAL. */
static int label_kind(const char *s, size_t len)
{
	int k;

	for (k = 0; k < _OBJ_KIND_MAX; k++) {
		const char *name = object_kind_to_string((enum object_kind)k);

		if (strlen(name) == len && !memcmp(name, s, len))
			return k;
	}
	return -EINVAL;
}

/* A label's tag "KIND KEY": its kind, and its key at *key (*key_len bytes). */
static int label_tag(const char *label, const char **key, size_t *key_len)
{
	size_t t = nft_desc_label_tag_len(label);
	const char *sp = memchr(label, ' ', t);

	if (!sp)
		return -EINVAL;
	*key = sp + 1;
	*key_len = t - (size_t)(sp + 1 - label);
	return label_kind(label, (size_t)(sp - label));
}

static void count(struct counter *c, uint64_t packets, uint64_t bytes)
{
	c->rx.packets += packets;
	c->rx.bytes += bytes;
}

/* A built-in rule's counter, "builtin:CHAIN/WHAT", added up by name. */
static int add_builtin(struct counterlist *l, const char *name, uint64_t packets, uint64_t bytes)
{
	struct counter *c;
	size_t i;

	for (i = l->n; i-- > 0;)
		if (l->v[i].builtin && !strcmp(l->v[i].name, name)) {
			count(&l->v[i], packets, bytes);
			return 0;
		}
	c = counterlist_push(l, OBJ_FW_RULE, name, strlen(name));
	if (!c)
		return -ENOMEM;
	c->builtin = true;
	count(c, packets, bytes);
	return 0;
}

/* A new counter from a label "TAG[ POINTER[ COMMENT]]". */
static int add_new(struct counterlist *l, enum object_kind kind, const char *key, size_t key_len,
		   const char *label, uint64_t packets, uint64_t bytes)
{
	size_t t = nft_desc_label_tag_len(label);
	const char *ptr = label + t + (label[t] ? 1 : 0), *sp = strchr(ptr, ' ');
	struct counter *c = counterlist_push(l, kind, key, key_len);

	if (!c)
		return -ENOMEM;
	count(c, packets, bytes);
	if (!*ptr)
		return 0;
	c->pointer = sp ? strndup(ptr, (size_t)(sp - ptr)) : strdup(ptr);
	if (sp && sp[1])
		c->comment = strdup(sp + 1);
	return !c->pointer || (sp && sp[1] && !c->comment) ? -ENOMEM : 0;
}

int nft_counters_add(struct counterlist *l, const char *label, uint64_t packets, uint64_t bytes)
{
	struct counter *last = l->n ? &l->v[l->n - 1] : NULL;
	size_t key_len;
	const char *key;
	int kind;

	if (!strncmp(label, NFT_DESC_BUILTIN_PREFIX, strlen(NFT_DESC_BUILTIN_PREFIX)))
		return add_builtin(l, label, packets, bytes);
	kind = label_tag(label, &key, &key_len);
	if (kind < 0)
		return 0;
	if (last && !last->builtin && last->kind == (enum object_kind)kind &&
	    strlen(last->name) == key_len && !memcmp(last->name, key, key_len)) {
		count(last, packets, bytes);
		return 0;
	}
	return add_new(l, (enum object_kind)kind, key, key_len, label, packets, bytes);
}

int nft_counters_add_policy(struct counterlist *l, const char *chain, uint64_t packets,
			    uint64_t bytes)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s/policy-drop", NFT_DESC_BUILTIN_PREFIX, chain);
	return add_builtin(l, name, packets, bytes);
}
