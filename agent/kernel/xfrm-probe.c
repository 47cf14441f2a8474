/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <string.h>

#include "netlink-sock.h"
#include "xfrm-probe.h"

int xfrm_probe_esp(struct strbuf *err)
{
	char buf[512] = {0};
	struct {
		struct xfrm_algo a;
		char key[1];
	} enc = {.a = {.alg_name = "cbc(aes)", .alg_key_len = 8}};
	struct netlink_sock *s = NULL;
	struct xfrm_usersa_info *sa;
	struct nlmsghdr *nlh;
	int r;

	r = netlink_sock_open(&s, NETLINK_XFRM, err);
	if (r < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_NEWSA;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	sa = mnl_nlmsg_put_extra_header(nlh, sizeof(*sa));
	sa->family = AF_INET;
	sa->id.proto = IPPROTO_ESP;
	sa->id.spi = htonl(0x100);
	sa->id.daddr.a4 = htonl(INADDR_LOOPBACK);
	sa->saddr.a4 = htonl(INADDR_LOOPBACK);
	sa->mode = XFRM_MODE_TRANSPORT;
	sa->lft.soft_byte_limit = sa->lft.hard_byte_limit = XFRM_INF;
	sa->lft.soft_packet_limit = sa->lft.hard_packet_limit = XFRM_INF;
	mnl_attr_put(nlh, XFRMA_ALG_CRYPT, sizeof(enc), &enc);
	r = netlink_sock_talk(s, nlh, NULL, NULL);
	if (r == 0) {
		/* A kernel that took the 1-byte key has ESP: the state goes again. */
		struct xfrm_usersa_id *id;

		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = XFRM_MSG_DELSA;
		nlh->nlmsg_flags = NLM_F_REQUEST;
		id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
		id->daddr.a4 = htonl(INADDR_LOOPBACK);
		id->spi = htonl(0x100);
		id->family = AF_INET;
		id->proto = IPPROTO_ESP;
		netlink_sock_talk(s, nlh, NULL, NULL);
	}
	if (r == -EPROTONOSUPPORT)
		r = 0;
	else if (r == 0 || r == -EINVAL)
		r = 1;
	else
		strbuf_printf(err, "cannot ask the kernel about ESP: %s", netlink_sock_error(s, r));
	netlink_sock_close(s);
	return r;
}
