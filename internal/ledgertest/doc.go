// Package ledgertest is a small, independent verifier for the artifacts that
// guarantor's log hands to the outside world: signed checkpoints and Merkle
// inclusion and consistency proofs.
//
// It exists so that tests can check the server's output the way an outside
// auditor would, with code that shares nothing with the server's own code
// path. Package ledger builds trees and proofs with
// github.com/transparency-dev/merkle and signs checkpoints with
// golang.org/x/mod/sumdb/note; if either of those (or ledger's use of them)
// were wrong, verifying with the same code would only confirm the mistake.
// This package therefore imports none of them, nor package ledger: it is
// written from the specifications alone, using only the standard library:
//
//   - signed notes and verifier keys: https://c2sp.org/signed-note and the
//     key format of golang.org/x/mod/sumdb/note;
//   - checkpoint bodies: https://c2sp.org/tlog-checkpoint;
//   - Merkle tree hashing: RFC 6962 section 2.1 (MTH, leaf and node hashes);
//   - proof verification: the algorithms of RFC 9162 sections 2.1.3.2
//     (inclusion) and 2.1.4.2 (consistency), step by step.
//
// It is meant for tests and is deliberately simple rather than fast. Only
// the non-test files are bound by the no-shared-code rule; the tests import
// package ledger to produce the inputs they cross-check.
package ledgertest
