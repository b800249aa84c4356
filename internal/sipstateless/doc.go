// Package sipstateless answers one SIP method on a UDP socket without a
// server transaction: the datagrams of that method are taken out of the
// socket's read path before sipgo sees them, parsed once, answered by a
// handler on a few long-lived workers and the answer written straight back.
// What a transaction would add for a non-INVITE request, absorbing its
// retransmissions, is a small cache of recent answers by transaction (RFC
// 3261 §17.2.2: a retransmission gets the same final response again, and
// one that arrives while the request is being answered is dropped).
// Everything else read from the socket passes to sipgo unchanged.
package sipstateless
