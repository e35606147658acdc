package audit

import (
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/ledger"
)

// ErrNotExtension is wrapped by the errors of CheckExtension: the log a
// server holds now is not the log a checkpoint was kept of, grown.
var ErrNotExtension = errors.New("not an extension of the kept checkpoint")

// OpenCheckpoint verifies a signed checkpoint note with the verifier key
// vkey (note.NewVerifier format) and checks that the checkpoint's origin is
// the key's name, as guarantor signs them.
func OpenCheckpoint(msg []byte, vkey string) (ledger.Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("verifier key %q: %w", vkey, err)
	}
	cp, err := ledger.OpenCheckpoint(msg, v)
	if err != nil {
		return ledger.Checkpoint{}, err
	}
	if cp.Origin != v.Name() {
		return ledger.Checkpoint{}, fmt.Errorf("checkpoint signed by %s names another log, %q", v.Name(), cp.Origin)
	}
	return cp, nil
}

// CheckExtension checks, with a consistency proof from kept.Size to
// latest.Size, that the log of checkpoint latest is the log of checkpoint
// kept with records appended and none changed, removed or reordered. Both
// checkpoints must have been verified already (OpenCheckpoint).
func CheckExtension(kept, latest ledger.Checkpoint, p [][]byte) error {
	if latest.Origin != kept.Origin {
		return fmt.Errorf("%w: the server's checkpoint is of the log %q, the kept one of %q", ErrNotExtension, latest.Origin, kept.Origin)
	}
	if latest.Size < kept.Size {
		return fmt.Errorf("%w: the log now has %d leaves, fewer than the %d of the kept checkpoint: it was truncated or rolled back", ErrNotExtension, latest.Size, kept.Size)
	}
	if err := ledger.VerifyConsistency(kept.Size, latest.Size, p, kept.Root, latest.Root); err != nil {
		why := err.Error()
		if errors.As(err, new(proof.RootMismatchError)) {
			why = "it does not lead to both signed roots"
		}
		return fmt.Errorf("%w: the consistency proof from size %d to %d fails (%s): the first %d leaves are not those the kept checkpoint signed, so the log was rewritten", ErrNotExtension, kept.Size, latest.Size, why, kept.Size)
	}
	return nil
}
