package staff

import (
	"context"
	"fmt"
)

// Any reports whether any staff account exists, disabled ones included: a
// store whose staff were all disabled is not a fresh one, and `agora up
// --demo` must not make it a new owner.
func (s *Service) Any(ctx context.Context) (bool, error) {
	var n int
	err := s.DB.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM staff LIMIT 1) AS one`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("staff: any: %w", err)
	}
	return n > 0, nil
}
