// Package guard is the anti-flood front door of the PBX. It wraps the UDP
// net.PacketConn and the TCP listener before SIP parsing and silently drops
// what an attacker sends: datagrams from banned IPs, traffic over a per-IP
// token bucket, oversize datagrams and requests whose User-Agent names a known
// scanner. It owns the ban list (with expiry, an allow-list that is never
// banned, and persistence through a consumer-defined BanStore), the counters of
// digest failures per IP and per account that lead to bans, the fail2ban log
// lines, the guard metrics and the small admin API over the ban list.
package guard
