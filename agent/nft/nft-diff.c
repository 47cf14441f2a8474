/* SPDX-License-Identifier: MIT */
/* Element changes: what turns a set's elements in the kernel into the description's. */
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include "nft-diff.h"

int nft_diff_push(struct nftdiff *l, const struct nft_desc_elem_change *c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct nft_desc_elem_change *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *c;
	return 0;
}

void nft_diff_reset(struct nftdiff *l)
{
	l->n = 0;
}

void nft_diff_done(struct nftdiff *l)
{
	free(l->v);
	*l = (struct nftdiff){0};
}

/* ---- matching by key ---- */

static uint32_t end_flag(uint32_t flags)
{
	return flags & NFT_SET_ELEM_INTERVAL_END;
}

static int key_cmp(const uint8_t *a, uint32_t fa, const uint8_t *b, uint32_t fb, size_t len)
{
	int c = memcmp(a, b, len);

	if (c)
		return c;
	return (int)end_flag(fa) - (int)end_flag(fb);
}

/* The description's elements, by index, sorted with their set in reach. */
static int want_cmp(const void *a, const void *b, void *arg)
{
	const struct nft_desc_set *s = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b, stride = nft_desc_set_stride(s);

	return key_cmp(s->bytes + i * stride, s->eflags[i], s->bytes + j * stride, s->eflags[j],
		       s->key_len);
}

static int have_cmp(const void *a, const void *b, void *arg)
{
	const struct nft_observed_elem *x = a, *y = b;

	return key_cmp(x->key, x->flags, y->key, y->flags, *(const uint32_t *)arg);
}

static bool sorted(const void *v, size_t n, size_t size,
		   int (*cmp)(const void *, const void *, void *), void *arg)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (cmp((const char *)v + (i - 1) * size, (const char *)v + i * size, arg) > 0)
			return false;
	return true;
}

static bool same_comment(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* Whether the kernel's element e is the description's element i (same key). */
static bool same_elem(const struct nft_desc_set *s, size_t i, const struct nft_observed_elem *e)
{
	const uint8_t *p = s->bytes + i * nft_desc_set_stride(s);

	if (nft_desc_set_concat_interval(s) &&
	    (!e->has_key_end || memcmp(p + s->key_len, e->key_end, s->key_len)))
		return false;
	if (s->flags & NFT_SET_MAP &&
	    (!e->has_data || memcmp(p + 2 * s->key_len, e->data, s->data_len)))
		return false;
	return same_comment(s->comments[i], e->comment);
}

static int push_add(const struct nft_desc_set *s, size_t i, struct nftdiff *l)
{
	const uint8_t *p = s->bytes + i * nft_desc_set_stride(s);
	struct nft_desc_elem_change c = {
	    .set = s,
	    .add = true,
	    .has_key_end = nft_desc_set_concat_interval(s),
	    .has_data = s->flags & NFT_SET_MAP,
	    .flags = s->eflags[i],
	    .comment = s->comments[i],
	    .ptr = s->eptrs[i] ? s->eptrs[i] : s->ptr,
	};

	memcpy(c.key, p, s->key_len);
	if (c.has_key_end)
		memcpy(c.key_end, p + s->key_len, s->key_len);
	if (c.has_data)
		memcpy(c.data, p + 2 * s->key_len, s->data_len);
	return nft_diff_push(l, &c);
}

static int push_del(const struct nft_desc_set *s, const struct nft_observed_elem *e,
		    struct nftdiff *l)
{
	struct nft_desc_elem_change c = {
	    .set = s,
	    .has_key_end = nft_desc_set_concat_interval(s) && e->has_key_end,
	    .flags = end_flag(e->flags),
	    .ptr = s->ptr,
	};

	memcpy(c.key, e->key, s->key_len);
	memcpy(c.key_end, e->key_end, s->key_len);
	return nft_diff_push(l, &c);
}

int nft_diff_set(const struct nft_desc_set *want, struct nft_observed_set *have, struct nftdiff *l)
{
	size_t n_have = have ? have->n : 0, i, j, *idx = NULL, *add = NULL, n_add = 0;
	uint32_t key_len = want->key_len;
	int r = 0;

	if (want->n) {
		idx = calloc(want->n, sizeof(*idx));
		add = calloc(want->n, sizeof(*add));
		if (!idx || !add) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < want->n; i++)
		idx[i] = i;
	/* Sets built in key order, and what the kernel holds of them, need no
	 * sort: a look costs n comparisons, a sort n log n. */
	if (!sorted(idx, want->n, sizeof(*idx), want_cmp, (void *)want))
		qsort_r(idx, want->n, sizeof(*idx), want_cmp, (void *)want);
	if (!sorted(have ? have->elems : NULL, n_have, sizeof(*have->elems), have_cmp, &key_len))
		qsort_r(have->elems, n_have, sizeof(*have->elems), have_cmp, &key_len);
	/* Both sorted by key: deletions now, additions after them. */
	for (i = 0, j = 0; (i < want->n || j < n_have) && r >= 0;) {
		int c;

		if (i == want->n)
			c = 1;
		else if (j == n_have)
			c = -1;
		else
			c = key_cmp(want->bytes + idx[i] * nft_desc_set_stride(want),
				    want->eflags[idx[i]], have->elems[j].key, have->elems[j].flags,
				    key_len);
		if (i && i < want->n && !want_cmp(&idx[i - 1], &idx[i], (void *)want)) {
			i++; /* the same element twice (two addresses in one prefix): once */
			continue;
		}
		if (c < 0) {
			add[n_add++] = idx[i++];
		} else if (c > 0) {
			r = push_del(want, &have->elems[j++], l);
		} else {
			if (!same_elem(want, idx[i], &have->elems[j])) {
				r = push_del(want, &have->elems[j], l);
				add[n_add++] = idx[i];
			}
			i++;
			j++;
		}
	}
	for (i = 0; i < n_add && r >= 0; i++)
		r = push_add(want, add[i], l);
out:
	free(idx);
	free(add);
	return r;
}
