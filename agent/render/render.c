/* SPDX-License-Identifier: MIT */
/* The renderers' dispatcher, the list of rendered files and the shared address look-ups. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "render-internal.h"

static const char *const change_class_table[_CHANGE_CLASS_MAX] = {
	[CHANGE_NONE] = "none",
	[CHANGE_RELOAD] = "reload",
	[CHANGE_RESTART] = "restart",
};

const char *change_class_to_string(enum change_class c)
{
	if ((unsigned)c >= _CHANGE_CLASS_MAX)
		return NULL;
	return change_class_table[c];
}

int rendered_add(struct rendered *r, struct strbuf *content, unsigned mode, const char *service,
		 enum change_class change, const char *ptr, const char *path_fmt, ...)
{
	struct rendered_file *files, f = {.mode = mode, .service = service, .change = change};
	struct strbuf path = {0};
	va_list ap;

	va_start(ap, path_fmt);
	strbuf_vprintf(&path, path_fmt, ap);
	va_end(ap);
	f.path = strbuf_steal(&path);
	f.ptr = strdup(ptr);
	f.content = strbuf_steal(content);
	files = realloc(r->files, (r->n + 1) * sizeof(*r->files));
	if (!f.path || !f.ptr || !f.content || !files) {
		if (files)
			r->files = files;
		free(f.path);
		free(f.ptr);
		if (f.content) {
			explicit_bzero(f.content, strlen(f.content));
			free(f.content);
		}
		return -ENOMEM;
	}
	r->files = files;
	r->files[r->n++] = f;
	return 0;
}

void rendered_done(struct rendered *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		/* Some files hold secrets: leave no copy behind in freed memory. */
		explicit_bzero(r->files[i].content, strlen(r->files[i].content));
		free(r->files[i].content);
		free(r->files[i].path);
		free(r->files[i].ptr);
	}
	free(r->files);
	*r = (struct rendered){0};
}

int render_services(const struct intent *in, const char *confdir, struct rendered *out)
{
	struct rendered r = {0};
	int ret;

	ret = render_dnsmasq(in, confdir, &r);
	if (ret >= 0)
		ret = render_keepalived(in, &r);
	if (ret >= 0)
		ret = render_conntrackd(in, &r);
	if (ret >= 0)
		ret = render_swanctl(in, &r);
	if (ret >= 0)
		ret = render_wireguard(in, &r);
	if (ret < 0) {
		rendered_done(&r);
		*out = (struct rendered){0};
		return ret;
	}
	*out = r;
	return 0;
}

bool render_addr_is_link_local(const struct ip_addr *a)
{
	return a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

const struct ip_prefix *render_iface_addr(const struct intent *in, const char *iface, int family)
{
	const struct iface *ifc = intent_iface(in, iface);
	size_t i;

	if (!ifc)
		return NULL;
	for (i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].addr.family == family &&
		    !render_addr_is_link_local(&ifc->addrs[i].addr))
			return &ifc->addrs[i];
	return NULL;
}

const struct ip_prefix *render_vip(const struct intent *in, const char *iface, int family)
{
	size_t i, j;

	for (i = 0; i < in->vrrp.n_groups; i++) {
		const struct vrrp_group *g = &in->vrrp.groups[i];

		if (strcmp(g->interface, iface))
			continue;
		for (j = 0; j < g->n_vips; j++)
			if (g->vips[j].addr.family == family &&
			    !render_addr_is_link_local(&g->vips[j].addr))
				return &g->vips[j];
	}
	return NULL;
}

const struct ip_addr *render_router_addr(const struct intent *in, const char *iface,
					 int family)
{
	const struct ip_prefix *p = render_vip(in, iface, family);

	if (!p)
		p = render_iface_addr(in, iface, family);
	return p ? &p->addr : NULL;
}
