package tdoa

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// problem is a set of arrivals in a local plane: the unknowns are the
// source's position (x, y) in metres and its emission time t0 in seconds
// after ref.
type problem struct {
	ref     time.Time // the earliest arrival
	e, n    []float64 // sensor positions in the plane, m
	dz2     []float64 // squared height of each sensor above the assumed source height, m²
	t       []float64 // arrival times after ref, s
	sig     []float64 // one-sigma timing uncertainty, s
	c       []float64 // speed of sound on the path to each sensor, m/s
	cbar    float64   // mean of c
	scale   float64   // RMS distance of the sensors from the origin, at least 1 m
	maxIter int
}

// sol is a candidate solution, with the chi-square of its fit, the
// Levenberg–Marquardt steps it took, whether the refinement converged and
// whether it ran off beyond maxRangeM.
type sol struct {
	x, y, t0 float64
	chi2     float64
	iters    int
	ok, far  bool
}

// Tolerances.
const (
	stepTolM  = 1e-4  // a refinement has converged when a step moves less than this (m, or m of sound for t0)
	pivotMin  = 1e-12 // a Jacobi-scaled Cholesky pivot below this means a singular matrix
	lambdaMax = 1e12  // Levenberg–Marquardt damping beyond which no step can improve the fit
)

// row returns arrival i's whitened Jacobian row at s (the derivatives of
// its modelled time in x, y and t0, over σ_i) and its whitened residual
// (observed minus modelled time, over σ_i).
func (p *problem) row(i int, s sol) (j [3]float64, r float64) {
	dx, dy := s.x-p.e[i], s.y-p.n[i]
	rho := math.Sqrt(dx*dx + dy*dy + p.dz2[i])
	k := 1 / p.sig[i]
	j[2] = k
	if rho > 0 { // at the sensor itself the range has no gradient; take zero
		f := k / (rho * p.c[i])
		j[0], j[1] = dx*f, dy*f
	}
	return j, (p.t[i] - s.t0 - rho/p.c[i]) * k
}

// residual returns arrival i's whitened residual at s.
func (p *problem) residual(i int, s sol) float64 {
	_, r := p.row(i, s)
	return r
}

// chi2 returns the sum of the squared whitened residuals of idx at s.
func (p *problem) chi2(idx []int, s sol) float64 {
	var sum float64
	for _, i := range idx {
		r := p.residual(i, s)
		sum += r * r
	}
	return sum
}

// normal returns the Fisher information JᵀWJ of idx at s, the gradient
// JᵀW(t - model) and the chi-square.
func (p *problem) normal(idx []int, s sol) (info [3][3]float64, g [3]float64, chi2 float64) {
	for _, i := range idx {
		j, r := p.row(i, s)
		for a := range 3 {
			g[a] += j[a] * r
			for b := a; b < 3; b++ {
				info[a][b] += j[a] * j[b]
			}
		}
		chi2 += r * r
	}
	for a := range 3 {
		for b := range a {
			info[a][b] = info[b][a]
		}
	}
	return info, g, chi2
}

// refine runs Levenberg–Marquardt (Marquardt's scaling of the damping by
// the diagonal) on idx from start.
func (p *problem) refine(idx []int, start sol) sol {
	s := sol{x: start.x, y: start.y, t0: start.t0}
	info, g, chi2 := p.normal(idx, s)
	if !finite(chi2) {
		return s
	}
	lambda := 1e-3
	for it := 0; it < p.maxIter; it++ {
		a := info
		for k := range 3 {
			a[k][k] *= 1 + lambda
		}
		d, ok := spdSolve(a, g)
		var trial sol
		var tChi2 float64
		if ok {
			trial = sol{x: s.x + d[0], y: s.y + d[1], t0: s.t0 + d[2]}
			tChi2 = p.chi2(idx, trial)
		}
		if !ok || !(tChi2 <= chi2) {
			lambda *= 10
			if lambda > lambdaMax { // no step improves the fit: a minimum, to rounding
				s.ok = true
				break
			}
			continue
		}
		s.x, s.y, s.t0, s.iters = trial.x, trial.y, trial.t0, it+1
		info, g, chi2 = p.normal(idx, s)
		lambda = max(lambda/10, 1e-12)
		if math.Hypot(d[0], d[1]) <= stepTolM && math.Abs(d[2])*p.cbar <= stepTolM {
			s.ok = true
			break
		}
	}
	s.chi2 = chi2
	if !finite(s.x) || !finite(s.y) || !finite(s.t0) || math.Hypot(s.x, s.y) > maxRangeM {
		s.ok, s.far = false, true
	}
	return s
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// multiStart fits idx from every closed-form start (adding the best two
// points of a grid when they fail, or when the best fit's chi-square is
// far beyond its distribution: above dof + 8·sqrt(2·dof) + 20) and from
// the mirror image of the best fit across the sensors' principal axis. It
// returns the best fit and every converged candidate.
func (p *problem) multiStart(idx []int) (best sol, cands []sol, err error) {
	far := false
	refineFrom := func(starts []sol) {
		for _, st := range starts {
			s := p.refine(idx, st)
			if s.ok {
				cands = append(cands, s)
			}
			far = far || s.far
		}
	}
	refineFrom(p.bancroft(idx))
	dof := float64(len(idx) - 3)
	if len(cands) == 0 || minChi2(cands).chi2 > dof+8*math.Sqrt(2*dof)+20 {
		refineFrom(p.gridStarts(idx))
	}
	if len(cands) == 0 {
		if far {
			return sol{}, nil, fmt.Errorf("tdoa: %w: the fit of the %d arrivals runs off beyond %.0f km of the sensors: their time differences fit no nearby source (timing errors as large as the array, or a wrong association?)", ErrNoConvergence, len(idx), maxRangeM/1000)
		}
		return sol{}, nil, fmt.Errorf("tdoa: %w: no fit of the %d arrivals converged within %d iterations", ErrNoConvergence, len(idx), p.maxIter)
	}
	best = minChi2(cands)
	if st, ok := p.mirror(idx, best); ok {
		if s := p.refine(idx, st); s.ok {
			cands = append(cands, s)
			if s.chi2 < best.chi2 {
				best = s
			}
		}
	}
	return best, cands, nil
}

// minChi2 returns the candidate with the smallest chi-square.
func minChi2(cands []sol) sol {
	return slices.MinFunc(cands, func(a, b sol) int { return cmp.Compare(a.chi2, b.chi2) })
}

// lorentz is the Minkowski inner product of (x, y, τ) vectors.
func lorentz(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] - a[2]*b[2] }

// bancroft returns the closed-form starts of Bancroft's method (S. Bancroft,
// "An algebraic solution of the GPS equations", IEEE Trans. Aerospace and
// Electronic Systems 21(1), 1985), for one speed of sound (the mean). With
// d_i = c·t_i and τ = c·t0, squaring (d_i - τ)² = |x - s_i|² + dz_i² gives
// the rows
//
//	2 s_i·x - 2 d_i τ = |s_i|² + dz_i² - d_i² + q,  q = |x|² - τ²,
//
// linear in θ = (x, τ) for a given q: θ = u + q v by weighted least
// squares, and q = <θ, θ> (the Lorentz form) is a quadratic in q. Each
// real root gives a start; a negative discriminant gives the vertex. The
// plane is scaled by the sensors' spread to keep the squares well
// conditioned. No start comes back when the sensors are collinear through
// the origin, which makes the system singular.
func (p *problem) bancroft(idx []int) []sol {
	L := p.scale
	sigMin := math.Inf(1)
	for _, i := range idx {
		sigMin = min(sigMin, p.sig[i])
	}
	var m [3][3]float64
	var ub, vb [3]float64
	for _, i := range idx {
		w := (sigMin / p.sig[i]) * (sigMin / p.sig[i])
		e, n, d := p.e[i]/L, p.n[i]/L, p.cbar*p.t[i]/L
		a := [3]float64{2 * e, 2 * n, -2 * d}
		b := e*e + n*n + p.dz2[i]/(L*L) - d*d
		for r := range 3 {
			ub[r] += w * a[r] * b
			vb[r] += w * a[r]
			for c := range 3 {
				m[r][c] += w * a[r] * a[c]
			}
		}
	}
	u, ok1 := spdSolve(m, ub)
	v, ok2 := spdSolve(m, vb)
	if !ok1 || !ok2 {
		return nil
	}
	qa, qb, qc := lorentz(v, v), 2*lorentz(u, v)-1, lorentz(u, u)
	var qs []float64
	switch disc := qb*qb - 4*qa*qc; {
	case math.Abs(qa) <= 1e-12*math.Abs(qb):
		qs = []float64{-qc / qb}
	case disc < 0:
		qs = []float64{-qb / (2 * qa)}
	default:
		// The numerically stable pair of roots.
		h := -(qb + math.Copysign(math.Sqrt(disc), qb)) / 2
		qs = []float64{h / qa}
		if h != 0 {
			qs = append(qs, qc/h)
		}
	}
	var starts []sol
	for _, q := range qs {
		s := sol{x: (u[0] + q*v[0]) * L, y: (u[1] + q*v[1]) * L, t0: (u[2] + q*v[2]) * L / p.cbar}
		if finite(s.x) && finite(s.y) && finite(s.t0) && math.Hypot(s.x, s.y) <= maxRangeM {
			starts = append(starts, s)
		}
	}
	return starts
}

// gridStarts returns the best two points of a polar grid about the origin,
// out to 64 times the sensors' spread, each with its best emission time.
func (p *problem) gridStarts(idx []int) []sol {
	const azimuths = 24
	best := [2]sol{{chi2: math.Inf(1)}, {chi2: math.Inf(1)}}
	add := func(x, y float64) {
		chi2, t0 := p.profile(idx, x, y)
		switch {
		case !(chi2 < best[1].chi2):
		case chi2 < best[0].chi2:
			best[0], best[1] = sol{x: x, y: y, t0: t0, chi2: chi2}, best[0]
		default:
			best[1] = sol{x: x, y: y, t0: t0, chi2: chi2}
		}
	}
	add(0, 0)
	for r := p.scale / 2; r <= 64*p.scale && r <= maxRangeM; r *= 2 {
		for a := range azimuths {
			s, c := math.Sincos(2 * math.Pi * (float64(a) + 0.5) / azimuths)
			add(r*s, r*c)
		}
	}
	var out []sol
	for _, b := range best {
		if finite(b.chi2) {
			out = append(out, b)
		}
	}
	return out
}

// profile returns the chi-square of idx for a source at (x, y) with the
// emission time that fits best, and that time: with a_i = t_i - ρ_i/c_i,
// t0 is the weighted mean of the a_i and the chi-square their weighted
// sum of squares about it.
func (p *problem) profile(idx []int, x, y float64) (chi2, t0 float64) {
	var sw, swa, swa2, a0 float64
	for k, i := range idx {
		dx, dy := x-p.e[i], y-p.n[i]
		a := p.t[i] - math.Sqrt(dx*dx+dy*dy+p.dz2[i])/p.c[i]
		if k == 0 {
			a0 = a // work about the first, against cancellation
		}
		a -= a0
		w := 1 / (p.sig[i] * p.sig[i])
		sw += w
		swa += w * a
		swa2 += w * a * a
	}
	m := swa / sw
	return max(swa2-m*swa, 0), a0 + m
}

// mirror returns the reflection of s across the principal axis of the
// sensors of idx (the line through their centroid along their greatest
// spread), with its best emission time; false when s is on that line.
func (p *problem) mirror(idx []int, s sol) (sol, bool) {
	var me, mn float64
	for _, i := range idx {
		me += p.e[i]
		mn += p.n[i]
	}
	k := float64(len(idx))
	me, mn = me/k, mn/k
	var sxx, sxy, syy float64
	for _, i := range idx {
		de, dn := p.e[i]-me, p.n[i]-mn
		sxx += de * de
		sxy += de * dn
		syy += dn * dn
	}
	phi := math.Atan2(2*sxy, sxx-syy) / 2
	ux, uy := math.Cos(phi), math.Sin(phi)
	dx, dy := s.x-me, s.y-mn
	along := dx*ux + dy*uy
	x, y := me+2*along*ux-dx, mn+2*along*uy-dy
	if math.Hypot(x-s.x, y-s.y) <= 1e-6*p.scale {
		return sol{}, false
	}
	_, t0 := p.profile(idx, x, y)
	return sol{x: x, y: y, t0: t0}, true
}

// studentized returns the whitened residuals of used at s, each divided by
// sqrt(1 - h) with h its leverage: standard normal for a correct arrival.
// An arrival of leverage 1, which nothing else checks, gets 0; so does
// every arrival if the information matrix is singular.
func (p *problem) studentized(used []int, s sol) []float64 {
	z := make([]float64, len(used))
	info, _, _ := p.normal(used, s)
	cov, ok := spdInverse(info)
	if !ok {
		return z
	}
	for k, i := range used {
		j, r := p.row(i, s)
		if q := 1 - quad(cov, j); q > 1e-9 {
			z[k] = r / math.Sqrt(q)
		}
	}
	return z
}

// deletionResidual returns arrival i's whitened residual against the fit f
// of rest (which does not include i), divided by its predicted standard
// deviation sqrt(1 + jᵀ C j).
func (p *problem) deletionResidual(rest []int, f sol, i int) (float64, bool) {
	info, _, _ := p.normal(rest, f)
	cov, ok := spdInverse(info)
	if !ok {
		return 0, false
	}
	j, r := p.row(i, f)
	return r / math.Sqrt(1+quad(cov, j)), true
}

// covariance returns the inverse of the Fisher information of idx at s,
// or false when it is singular or nearly so: when some direction of the
// position is known more than 1e5 times worse than one arrival's range
// uncertainty c·σ would allow (its variance is then numerically
// meaningless, and it arises only when the sensors are collinear and the
// source on their line, which leaves the position across it unobserved).
func (p *problem) covariance(idx []int, s sol) ([3][3]float64, bool) {
	info, _, _ := p.normal(idx, s)
	cov, ok := spdInverse(info)
	if !ok {
		return cov, false
	}
	var full float64 // the information about position if every range pointed one way
	for _, i := range idx {
		full += 1 / (p.c[i] * p.c[i] * p.sig[i] * p.sig[i])
	}
	a, b, d := cov[0][0], cov[0][1], cov[1][1]
	lmax := (a+d)/2 + math.Hypot((a-d)/2, b)
	return cov, finite(lmax) && lmax*full <= maxVarianceRatio
}

// maxVarianceRatio bounds the position variance, in units of the variance
// of one range (c·σ)² over the number of arrivals, that covariance accepts.
const maxVarianceRatio = 1e10

// quad returns jᵀ C j.
func quad(c [3][3]float64, j [3]float64) float64 {
	var s float64
	for a := range 3 {
		for b := range 3 {
			s += j[a] * c[a][b] * j[b]
		}
	}
	return s
}

// distinctPositions counts the distinct sensor positions of idx, up to 3.
// Positions closer than a centimetre are one.
func (p *problem) distinctPositions(idx []int) int {
	const eps = 0.01
	var found []int
	for _, i := range idx {
		fresh := true
		for _, j := range found {
			if math.Hypot(p.e[i]-p.e[j], p.n[i]-p.n[j]) < eps {
				fresh = false
				break
			}
		}
		if fresh {
			if found = append(found, i); len(found) == 3 {
				break
			}
		}
	}
	return len(found)
}

// spdFactor returns the Cholesky factor l of the Jacobi-scaled matrix
// D a D, D = diag(1/sqrt(a_kk)), and D's diagonal. Scaling makes the
// pivot test relative: it fails when a is not (numerically) positive
// definite.
func spdFactor(a [3][3]float64) (l [3][3]float64, d [3]float64, ok bool) {
	for k := range 3 {
		if !(a[k][k] > 0) || math.IsInf(a[k][k], 0) {
			return l, d, false
		}
		d[k] = 1 / math.Sqrt(a[k][k])
	}
	for j := range 3 {
		sum := a[j][j] * d[j] * d[j]
		for k := range j {
			sum -= l[j][k] * l[j][k]
		}
		if !(sum > pivotMin) {
			return l, d, false
		}
		l[j][j] = math.Sqrt(sum)
		for i := j + 1; i < 3; i++ {
			sum := a[i][j] * d[i] * d[j]
			for k := range j {
				sum -= l[i][k] * l[j][k]
			}
			l[i][j] = sum / l[j][j]
		}
	}
	return l, d, true
}

// spdSolve solves a x = b for a symmetric positive definite a.
func spdSolve(a [3][3]float64, b [3]float64) ([3]float64, bool) {
	l, d, ok := spdFactor(a)
	if !ok {
		return [3]float64{}, false
	}
	return cholSolve(l, d, b), true
}

// cholSolve solves (D⁻¹ l lᵀ D⁻¹) x = b.
func cholSolve(l [3][3]float64, d, b [3]float64) [3]float64 {
	var y [3]float64
	for i := range 3 {
		s := b[i] * d[i]
		for k := range i {
			s -= l[i][k] * y[k]
		}
		y[i] = s / l[i][i]
	}
	var x [3]float64
	for i := 2; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < 3; k++ {
			s -= l[k][i] * x[k]
		}
		x[i] = s / l[i][i]
	}
	for i := range 3 {
		x[i] *= d[i]
	}
	return x
}

// spdInverse returns the inverse of a symmetric positive definite a.
func spdInverse(a [3][3]float64) ([3][3]float64, bool) {
	l, d, ok := spdFactor(a)
	if !ok {
		return [3][3]float64{}, false
	}
	var inv [3][3]float64
	for c := range 3 {
		var e [3]float64
		e[c] = 1
		col := cholSolve(l, d, e)
		for r := range 3 {
			inv[r][c] = col[r]
		}
	}
	for r := range 3 { // exactly symmetric
		for c := range r {
			m := (inv[r][c] + inv[c][r]) / 2
			inv[r][c], inv[c][r] = m, m
		}
	}
	return inv, true
}
