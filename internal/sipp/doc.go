// Package sipp drives SIPp 3.6 (Debian sip-tester) over loopback for every
// SIP feature test and benchmark in the project. The scenario library they
// share lives in tests/scenarios (one short UDP scenario per call shape, and
// the load kit's scenarios bench/ runs); Scenario and Render find it.
//
// Run places calls to completion; Start keeps a SIPp (usually a UAS) in the
// background until Stop. Both pick free loopback ports, pass each scenario's
// declared variables with their defaults (read from the scenario's header
// comment), keep SIPp's stat, screen and error files in Result.Dir, and
// report the outcome in a Result. CaptureUDP counts packets on lo, the
// proof that RTP arrived, which SIPp itself does not report.
package sipp
