/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "netlink-sock.h"
#include "rule-probe.h"

struct find {
	uint32_t mark;
	bool found;
};

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct find *f = data;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWRULE)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(struct fib_rule_hdr))
	{
		if (mnl_attr_get_type(a) == FRA_FWMARK &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0 && mnl_attr_get_u32(a) == f->mark)
			f->found = true;
	}
	return 0;
}

int rule_probe_fwmark(uint32_t mark, struct strbuf *err)
{
	char buf[64] = {0};
	struct netlink_sock *s = NULL;
	struct find f = {.mark = mark};
	struct fib_rule_hdr *h;
	struct nlmsghdr *nlh;
	int r;

	r = netlink_sock_open(&s, NETLINK_ROUTE, err);
	if (r < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	h->family = AF_INET;
	r = netlink_sock_talk(s, nlh, rule_cb, &f);
	if (r < 0)
		strbuf_printf(err, "cannot read the routing rules: %s", netlink_sock_error(s, r));
	netlink_sock_close(s);
	return r < 0 ? r : f.found;
}
