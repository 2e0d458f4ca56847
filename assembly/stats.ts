// Named counters. Every drop increments one; hosts read them all through the ABI
// (statsPtr/statCount/statNames) and tests assert on them.
//
// To add a counter: add it to the enum in its layer's section AND its name at the
// same position in STAT_NAMES (test/stack.test.ts checks the two agree in count).

export const enum Stat {
  // --- link / ethernet ---
  RxFrames, TxFrames, EthTruncated, EthNotForUs, EthUnknownType, EthTooLong,
  // --- arp ---
  ArpRx, ArpTruncated, ArpBadFormat, ArpRequestsRx, ArpRepliesRx, ArpRequestsTx, ArpRepliesTx,
  ArpQueueFull, ArpQueueTimeout, ArpCacheFull,
  // --- ipv4 ---
  Ipv4Rx, Ipv4Tx, Ipv4Truncated, Ipv4BadVersion, Ipv4BadIhl, Ipv4BadTotalLength, Ipv4BadChecksum,
  Ipv4NotForUs, Ipv4UnknownProto, Ipv4NoRoute, Ipv4BadSource,
  // --- ipv4 fragments ---
  Ipv4FragRx, Ipv4FragNoReasm, Ipv4ReasmOk, Ipv4FragDuplicate, Ipv4FragOverlap, Ipv4FragTiny,
  Ipv4FragTcpOffset1, Ipv4FragPast64k, Ipv4FragTooBig, Ipv4FragZeroLength, Ipv4FragMisaligned,
  Ipv4FragBadLast, Ipv4ReasmEvicted, Ipv4ReasmTimeout, Ipv4ReasmTimeExceededTx, Ipv4FragTx,
  // --- icmp ---
  IcmpRx, IcmpTruncated, IcmpBadChecksum, IcmpEchoRequestsRx, IcmpEchoRepliesTx, IcmpEchoRepliesRx,
  IcmpDestUnreachRx, IcmpDestUnreachTx, IcmpOtherRx, IcmpRateLimited, IcmpEchoBroadcastIgnored,
  // --- udp ---
  UdpRx, UdpTruncated, UdpBadLength, UdpBadChecksum, UdpNoPort, UdpQueueFull, UdpTx,
  // --- dhcp ---
  DhcpTx, DhcpRx, DhcpTruncated, DhcpBadCookie, DhcpBadOption, DhcpOverload, DhcpNoMsgType, DhcpBadOp,
  DhcpBadXid, DhcpBadChaddr, DhcpBadPort, DhcpUnexpected, DhcpBadOffer, DhcpOffersRx, DhcpAcksRx, DhcpNaksRx,
  DhcpRetransmits, DhcpAcdProbesTx, DhcpAcdConflicts, DhcpDeclinesTx, DhcpReleasesTx, DhcpLeaseExpired,
  // --- dns ---
  DnsQueriesTx, DnsRetransmits, DnsTimeouts, DnsRepliesRx, DnsRepliesAccepted, DnsCacheHits,
  DnsWrongSource, DnsBadId, DnsBadQuestion, DnsNotReply, DnsMalformed, DnsTooLong, DnsPointerForward,
  DnsPointerOutOfBounds, DnsPointerLoop, DnsLabelTooLong, DnsNameTooLong, DnsCnameTooDeep,
  // --- udp-group (broadcast, multicast, ICMP errors to sockets) ---
  UdpBroadcastFiltered, UdpBroadcastRefused, UdpMcastNoMember, UdpIcmpErrors, UdpIcmpBadQuote,
  // --- igmp ---
  IgmpRx, IgmpBadLength, IgmpBadChecksum, IgmpBadGroup, IgmpQueriesRx, IgmpReportsRx, IgmpReportsSuppressed,
  IgmpReportsTx, IgmpLeavesTx, IgmpTableFull,
  // --- sntp ---
  SntpTx, SntpRx, SntpBadSource, SntpBadFormat, SntpBadOrigin, SntpUnsynchronized, SntpZeroTransmit,
  SntpKiss, SntpTimeouts,
  // --- tcp (wire) ---
  TcpRx, TcpTx, TcpTruncated, TcpBadOffset, TcpBadChecksum, TcpBadOption,
  // --- tcp (engine) ---
  TcpNoSocket, TcpRstTx, TcpRstRx, TcpBadSeq, TcpBadAck, TcpChallengeAck, TcpChallengeAckLimited,
  TcpSynBacklogFull, TcpSynCookiesTx, TcpSynCookiesOk, TcpSynCookiesBad, TcpPawsDrop,
  TcpRetransmits, TcpFastRetransmits, TcpRtoTimeouts, TcpDupAcks, TcpOutOfOrder, TcpOfoDropped,
  TcpZeroWindowProbes, TcpKeepalivesTx, TcpDelayedAcks, TcpTimeWaitFull, TcpConnsOpened,
  TcpConnsClosed, TcpConnsAborted, TcpRcvBufDrop, TcpSackRecoveries, TcpTxTooBig, TcpNoTimestamp,
  TcpNoRings, TcpIcmpAccepted, TcpIcmpRejected, TcpZeroWindowDrop,
  // --- interface at run time (addresses, multicast filter) ---
  EthMulticastNotJoined, Ipv4Unconfigured, Ipv4MulticastNotJoined, ArpAnnouncementsTx, IfaceAddrChanges,
  IfaceQueueFlushed,
  // --- end ---
  COUNT,
}

// One literal continued with backslash-newline (NOT "a" + "b": that concatenates at run time
// in the start function with the stub allocator, and poolAlloc then overwrites the result).
export const STAT_NAMES = "\
rx_frames,tx_frames,eth_truncated,eth_not_for_us,eth_unknown_type,eth_too_long,\
arp_rx,arp_truncated,arp_bad_format,arp_requests_rx,arp_replies_rx,arp_requests_tx,arp_replies_tx,\
arp_queue_full,arp_queue_timeout,arp_cache_full,\
ipv4_rx,ipv4_tx,ipv4_truncated,ipv4_bad_version,ipv4_bad_ihl,ipv4_bad_total_length,ipv4_bad_checksum,\
ipv4_not_for_us,ipv4_unknown_proto,ipv4_no_route,ipv4_bad_source,\
ipv4_frag_rx,ipv4_frag_no_reasm,ipv4_reasm_ok,ipv4_frag_duplicate,ipv4_frag_overlap,ipv4_frag_tiny,\
ipv4_frag_tcp_offset1,ipv4_frag_past_64k,ipv4_frag_too_big,ipv4_frag_zero_length,ipv4_frag_misaligned,\
ipv4_frag_bad_last,ipv4_reasm_evicted,ipv4_reasm_timeout,ipv4_reasm_time_exceeded_tx,ipv4_frag_tx,\
icmp_rx,icmp_truncated,icmp_bad_checksum,icmp_echo_requests_rx,icmp_echo_replies_tx,icmp_echo_replies_rx,\
icmp_dest_unreach_rx,icmp_dest_unreach_tx,icmp_other_rx,icmp_rate_limited,icmp_echo_broadcast_ignored,\
udp_rx,udp_truncated,udp_bad_length,udp_bad_checksum,udp_no_port,udp_queue_full,udp_tx,\
dhcp_tx,dhcp_rx,dhcp_truncated,dhcp_bad_cookie,dhcp_bad_option,dhcp_overload,dhcp_no_msg_type,dhcp_bad_op,\
dhcp_bad_xid,dhcp_bad_chaddr,dhcp_bad_port,dhcp_unexpected,dhcp_bad_offer,dhcp_offers_rx,dhcp_acks_rx,dhcp_naks_rx,\
dhcp_retransmits,dhcp_acd_probes_tx,dhcp_acd_conflicts,dhcp_declines_tx,dhcp_releases_tx,dhcp_lease_expired,\
dns_queries_tx,dns_retransmits,dns_timeouts,dns_replies_rx,dns_replies_accepted,dns_cache_hits,\
dns_wrong_source,dns_bad_id,dns_bad_question,dns_not_reply,dns_malformed,dns_too_long,dns_pointer_forward,\
dns_pointer_out_of_bounds,dns_pointer_loop,dns_label_too_long,dns_name_too_long,dns_cname_too_deep,\
udp_broadcast_filtered,udp_broadcast_refused,udp_mcast_no_member,udp_icmp_errors,udp_icmp_bad_quote,\
igmp_rx,igmp_bad_length,igmp_bad_checksum,igmp_bad_group,igmp_queries_rx,igmp_reports_rx,igmp_reports_suppressed,\
igmp_reports_tx,igmp_leaves_tx,igmp_table_full,\
sntp_tx,sntp_rx,sntp_bad_source,sntp_bad_format,sntp_bad_origin,sntp_unsynchronized,sntp_zero_transmit,\
sntp_kiss,sntp_timeouts,\
tcp_rx,tcp_tx,tcp_truncated,tcp_bad_offset,tcp_bad_checksum,tcp_bad_option,\
tcp_no_socket,tcp_rst_tx,tcp_rst_rx,tcp_bad_seq,tcp_bad_ack,tcp_challenge_ack,tcp_challenge_ack_limited,\
tcp_syn_backlog_full,tcp_syn_cookies_tx,tcp_syn_cookies_ok,tcp_syn_cookies_bad,tcp_paws_drop,\
tcp_retransmits,tcp_fast_retransmits,tcp_rto_timeouts,tcp_dup_acks,tcp_out_of_order,tcp_ofo_dropped,\
tcp_zero_window_probes,tcp_keepalives_tx,tcp_delayed_acks,tcp_time_wait_full,tcp_conns_opened,\
tcp_conns_closed,tcp_conns_aborted,tcp_rcv_buf_drop,tcp_sack_recoveries,tcp_tx_too_big,tcp_no_timestamp,\
tcp_no_rings,tcp_icmp_accepted,tcp_icmp_rejected,tcp_zero_window_drop,\
eth_multicast_not_joined,ipv4_unconfigured,ipv4_multicast_not_joined,arp_announcements_tx,iface_addr_changes,\
iface_queue_flushed";

// Static storage: no allocation.
const counters: usize = memory.data(<i32>Stat.COUNT * 4, 16);

@inline export function count(s: Stat): void {
  let p = counters + (<usize>s << 2);
  store<u32>(p, load<u32>(p) + 1);
}

export function statsBase(): usize { return counters; }
