package sdp

// AnswerDirection is the direction an answer takes to an offer
// (RFC 3264 §6.1): the mirror of sendonly and recvonly, the same otherwise.
// An unknown or empty offer direction counts as sendrecv.
func AnswerDirection(offer Direction) Direction {
	switch offer {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// IsHold reports whether s puts the call on hold: sendonly or inactive, or
// the pre-RFC 3264 style of a c= address of 0.0.0.0 (or ::).
func IsHold(s *Session) bool {
	if s == nil {
		return false
	}
	return s.Direction == SendOnly || s.Direction == Inactive || s.Addr.IsUnspecified()
}
