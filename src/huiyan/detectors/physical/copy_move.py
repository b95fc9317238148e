"""Copy-move (clone) detection: the same image content found twice in one image.

What it measures: SIFT keypoints of the image are matched against the keypoints of the same
image with the generalised nearest-neighbour test (g2NN: the neighbours of a descriptor up to
the first large jump in distance are its matches, so one source region can match several
clones). Matches between points closer than a minimum distance are dropped (neighbouring
texture resembles itself). The end points of the remaining matches are grouped into spatial
clusters, and for every pair of clusters a similarity transform (shift, rotation, scale) is
fitted by RANSAC, repeatedly, so several clones can be found. A transform counts as evidence
only when it is not the identity and when its inliers are many distinct keypoints. The score is
the number of distinct inlier keypoints of the best transform that survives the repeated-
structure checks below (0 when none): a monotone function of the evidence, not a learned model.
The map (heatmap) marks the convex hulls of the inliers at both ends of every accepted
transform: the source and the copy (which is which cannot be told from geometry alone).

Why it separates: a camera photographs a scene once; two regions whose keypoints agree one to
one under a single rigid transform are what cloning an object or covering something with a
patch of nearby texture leaves behind, and no other method of the project looks for it (the
noise, CFA and compression maps see nothing when the clone comes from the same photograph).

Repeated structures (the known failure case): windows, tiles, fences, text, brick and printed
patterns in genuine photographs match each other too. These checks keep them down:
- ambiguity: inliers whose keypoints have more than `AMBIGUOUS` matches (a keypoint on a
  facade matches every window) do not count towards the evidence;
- chain check: on a lattice the copy of one element is the source of the next, so inliers of
  one transform share their points between the source and the target side; a transform whose
  target points are also its source points in more than `CHAIN_MAX` of the inliers is rejected;
- lattice check: near-pure translations whose shifts are integer multiples of each other (2x,
  3x ...: a row of windows), or four or more shifts that are integer combinations of each other
  (a grid of tiles), are periods of a repeated pattern and are all rejected;
- periodic check: keypoints also matched at the transform applied twice (the pattern goes on;
  a single clone has nothing at twice its shift) for more than `PERIODIC_MAX` of the inliers;
- spread: the inliers must spread `MIN_SPREAD_PX` across their main axis (std, working pixels),
  so a thin line of small text (a news ticker, a time stamp) is not evidence.
The first three were fixed on synthetic data before the method met real photographs; the last two
were added after looking at the false alarms on the development photographs (docs/COPY_MOVE.md
gives the counts before and after). The evidence threshold `EVIDENCE_INLIERS` was fixed a priori.

Papers: I. Amerini, L. Ballan, R. Caldelli, A. Del Bimbo, G. Serra, "A SIFT-based forensic method
for copy-move attack detection and transformation recovery", IEEE TIFS 6(3), 2011,
doi:10.1109/TIFS.2011.2129512 (g2NN, clustering, transform per cluster pair);
V. Christlein, C. Riess, J. Jordan, C. Riess, E. Angelopoulou, "An evaluation of popular
copy-move forgery detection approaches", IEEE TIFS 7(6), 2012, doi:10.1109/TIFS.2012.2218597
(keypoint methods: fast, robust to rotation and scaling, blind to flat regions).

Failure cases: clones of flat or smooth regions (sky, walls, skin: no keypoints - the commonest
way to hide an object, so a low score does not mean "no clone"); mirrored clones (SIFT is not
mirror invariant); clones smaller than a few dozen pixels on a side at the working resolution
(images are analysed with the long side at most `WORK_LONG` px); strong blur, noise or heavy
recompression of the copy; genuine repeated structures that survive the checks above (a pair of
identical objects, printed labels and large text, screens showing the same picture, windows and
railings in perspective: 3 of 90 camera originals of the development set, 2 laundered); a clone
shifted by less than its own size (it looks like a repeated pattern and is rejected); content duplicated by the photographer's own tool (panorama stitching, burst
compositing) or by a generator that repeats texture - the method says "this content occurs
twice", not who put it there. Generative inpainting and splicing from another photo leave no
duplicate and are not its job.
"""

from __future__ import annotations

import numpy as np

from huiyan.detectors import _residual as R
from huiyan.detectors.base import Detector, register

WORK_LONG = 1024  # long side of the working copy (px; SIFT doubles it internally)
MIN_SIDE = 96  # below this, too few keypoints of any size
MAX_KEYPOINTS = 2500  # strongest SIFT keypoints kept (time and memory budget)
MIN_KEYPOINTS = 30  # fewer: flat or featureless image
CONTRAST = 0.02  # SIFT contrast threshold (OpenCV default 0.04; lower finds clones in soft texture)
KNN = 8  # neighbours examined by g2NN
G2NN_T = 0.5  # g2NN ratio (Amerini et al. 2011)
MIN_DIST_FRAC = 0.015  # minimum match distance: this share of the working diagonal ...
MIN_DIST_PX = 10.0  # ... but at least this many pixels
CLUSTER_FRAC = 0.04  # single-linkage cut for the end-point clusters (share of the diagonal)
RANSAC_PX = 3.0  # inlier tolerance of the similarity transform (working pixels)
MIN_GROUP = 4  # matches needed to fit a transform in a cluster pair
MAX_MODELS = 3  # transforms fitted in turn per cluster pair
MIN_REPORT = 6  # distinct inliers for a transform to be kept as a candidate / drawn on the map
EVIDENCE_INLIERS = 10  # a-priori evidence threshold (see docs/COPY_MOVE.md)
CHAIN_MAX = 0.3  # lattice signature: share of inliers whose target is also a source
PERIODIC_MAX = 0.2  # lattice signature: matches at twice the transform, per distinct inlier
AMBIGUOUS = 3  # keypoints with more matches than this do not count as evidence
SCALE_RANGE = (0.4, 2.5)  # plausible scale of a copy
MIN_SPREAD_PX = 6.0  # inliers must spread this much (std, working px) across their main axis: not a text line


def working_gray(gray: np.ndarray, long_side: int = WORK_LONG) -> tuple[np.ndarray, float]:
    """The uint8 working copy (area-downscaled to `long_side`) and its scale factor."""
    import cv2

    h, w = gray.shape[:2]
    s = min(1.0, long_side / max(h, w))
    g = np.asarray(gray, np.float32)  # no copy of the shared luma (50 MP = 200 MB)
    if s < 1.0:
        g = cv2.resize(g, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return np.clip(np.rint(g), 0, 255).astype(np.uint8), s


def keypoints(g8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SIFT keypoint positions (N x 2, x y) and descriptors (N x 128 float32)."""
    import cv2

    sift = cv2.SIFT_create(nfeatures=MAX_KEYPOINTS, contrastThreshold=CONTRAST)
    kps, des = sift.detectAndCompute(g8, None)
    if des is None or not kps:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    pts = np.array([k.pt for k in kps], np.float32)
    return pts, np.asarray(des, np.float32)


def g2nn_matches(pts: np.ndarray, des: np.ndarray, min_dist: float) -> tuple[np.ndarray, np.ndarray]:
    """Unordered keypoint index pairs (M x 2, i < j) accepted by g2NN and at least `min_dist`
    apart, and the number of accepted matches of every keypoint (its ambiguity)."""
    import cv2

    n = len(pts)
    k = min(KNN + 1, n)
    if k < 3:
        return np.zeros((0, 2), np.int64), np.zeros(n, np.int64)
    knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(des, des, k=k)
    idx = np.array([[m.trainIdx for m in row] for row in knn], np.int64)
    dist = np.array([[m.distance for m in row] for row in knn], np.float64)
    # drop each point itself (not always first: an exact copy is at distance 0 too)
    own = idx == np.arange(n)[:, None]
    dist = np.where(own, np.inf, dist)
    order = np.argsort(dist, axis=1, kind="stable")[:, : k - 1]
    idx, dist = np.take_along_axis(idx, order, 1), np.take_along_axis(dist, order, 1)
    # g2NN: the first large jump d_j / d_{j+1} < T; neighbours 1..j are matches
    d0, d1 = dist[:, :-1], dist[:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(d1 > 0, d0 / np.where(d1 > 0, d1, 1.0), 1.0)  # a run of zeros is no jump
    jump = ratio < G2NN_T
    has = jump.any(axis=1)
    first = np.argmax(jump, axis=1)
    accept = (np.arange(k - 2)[None, :] <= first[:, None]) & has[:, None]
    qi = np.broadcast_to(np.arange(n)[:, None], accept.shape)[accept]
    ti = idx[:, : k - 2][accept]
    far = np.hypot(*(pts[qi] - pts[ti]).T) >= min_dist
    m = np.unique(np.sort(np.stack([qi[far], ti[far]], 1), axis=1), axis=0).reshape(-1, 2)
    mult = np.bincount(m.ravel(), minlength=n) if len(m) else np.zeros(n, np.int64)
    return m, mult


def _clusters(points: np.ndarray, cut: float) -> np.ndarray:
    """Single-linkage cluster label of every point (connected components at distance `cut`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(points)
    e = cKDTree(points).query_pairs(cut, output_type="ndarray")
    g = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _similarity(a: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Scale, rotation (degrees) and translation of a 2x3 partial affine matrix."""
    s = float(np.hypot(a[0, 0], a[1, 0]))
    return s, float(np.degrees(np.arctan2(a[1, 0], a[0, 0]))), a[:, 2].astype(np.float64)


def _distinct(p: np.ndarray) -> int:
    return len({(round(float(x)), round(float(y))) for x, y in p})


def _is_area(p: np.ndarray, min_extent: float) -> bool:
    """True when the points span an area, not a line: second principal extent >= min_extent."""
    if len(p) < 3:
        return False
    c = p - p.mean(axis=0)
    ev = np.linalg.eigvalsh(np.cov(c.T))
    return float(np.sqrt(max(ev[0], 0.0))) >= min_extent


def _residual(a: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    return np.hypot(*(src @ a[:, :2].T + a[:, 2] - dst).T)


def _merge(fits: list[tuple[np.ndarray, np.ndarray]], pts: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Join fits of the same transform found in different cluster pairs (one clone whose
    keypoints fell into several clusters), in either direction."""
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    for a, pairs in sorted(fits, key=lambda f: -len(f[1])):
        for i, (ka, kp) in enumerate(kept):
            for pr in (pairs, pairs[:, ::-1]):
                if np.median(_residual(ka, pts[pr[:, 0]], pts[pr[:, 1]])) <= 2 * RANSAC_PX:
                    kept[i] = (ka, np.unique(np.vstack([kp, pr]), axis=0))
                    break
            else:
                continue
            break
        else:
            kept.append((a, pairs))
    return kept


def _periodic_count(a: np.ndarray, pts: np.ndarray, matches: np.ndarray) -> int:
    """How many keypoints (distinct places) are matched to their image under the transform
    applied twice: a clone of one region has no copy at twice the shift, a repeated pattern
    (windows, railings, tiles, also in perspective) continues."""
    aa = np.vstack([a, [0.0, 0.0, 1.0]])
    a2 = (aa @ aa)[:2]
    p, q = pts[matches[:, 0]], pts[matches[:, 1]]
    hit = np.minimum(_residual(a2, p, q), _residual(a2, q, p)) < 2 * RANSAC_PX
    return _distinct(p[hit])


def fit_transforms(pts: np.ndarray, matches: np.ndarray, mult: np.ndarray, diag: float, min_dist: float) -> list[dict]:
    """Candidate clone transforms: RANSAC similarity fits per cluster pair, with the repeated-
    structure checks applied. Each dict carries the inlier index pairs (src, dst) and the
    evidence count; `rejected` names the check that removed it (None when accepted)."""
    import cv2

    if len(matches) < MIN_GROUP:
        return []
    ends = np.unique(matches.ravel())
    lab = np.full(len(pts), -1, np.int64)
    lab[ends] = _clusters(pts[ends], CLUSTER_FRAC * diag)
    ca, cb = lab[matches[:, 0]], lab[matches[:, 1]]
    key = np.minimum(ca, cb) * (len(pts) + 1) + np.maximum(ca, cb)
    fits: list[tuple[np.ndarray, np.ndarray]] = []
    for kval in np.unique(key):
        grp = matches[key == kval]
        # orient every match from the lower-numbered cluster to the other (same cluster: by x+y)
        la, lb = lab[grp[:, 0]], lab[grp[:, 1]]
        flip = (la > lb) | ((la == lb) & (pts[grp[:, 0]].sum(1) > pts[grp[:, 1]].sum(1)))
        grp = np.where(flip[:, None], grp[:, ::-1], grp)
        for _ in range(MAX_MODELS):
            if len(grp) < MIN_GROUP:
                break
            a, inl = cv2.estimateAffinePartial2D(
                pts[grp[:, 0]], pts[grp[:, 1]], method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX,
                maxIters=2000, confidence=0.995)
            if a is None or inl is None or int(inl.sum()) < MIN_GROUP:
                break
            mask = inl.ravel().astype(bool)
            fits.append((a, grp[mask]))
            grp = grp[~mask]
    out: list[dict] = []
    for a, pairs in _merge(fits, pts):
        s, rot, t = _similarity(a)
        src, dst = pts[pairs[:, 0]], pts[pairs[:, 1]]
        if _distinct(src) < MIN_REPORT:
            continue
        unamb = (mult[pairs[:, 0]] <= AMBIGUOUS) & (mult[pairs[:, 1]] <= AMBIGUOUS)
        n_ev = min(_distinct(src[unamb]), _distinct(dst[unamb]))
        srcset = {(round(float(x)), round(float(y))) for x, y in src}
        chain = float(np.mean([(round(float(x)), round(float(y))) in srcset for x, y in dst]))
        shift = float(np.median(np.hypot(*(dst - src).T)))
        periodic = _periodic_count(a, pts, matches) / max(1, _distinct(src))
        rejected = None
        if not (SCALE_RANGE[0] <= s <= SCALE_RANGE[1]):
            rejected = "implausible scale"
        elif shift < min_dist:
            rejected = "identity"
        elif chain > CHAIN_MAX:
            rejected = "chain (repeated pattern)"
        elif periodic > PERIODIC_MAX:
            rejected = "periodic (the transform repeats: a repeated pattern)"
        elif not (_is_area(src, MIN_SPREAD_PX) and _is_area(dst, MIN_SPREAD_PX)):
            rejected = "inliers on a line"
        out.append({"pairs": pairs, "scale": s, "rotation_deg": rot, "shift": t, "evidence": n_ev,
                    "inliers": int(len(pairs)), "chain_share": chain, "periodic_share": periodic,
                    "places": _places(src, CLUSTER_FRAC * diag), "rejected": rejected})
    _lattice_check(out, min_dist)
    out.sort(key=lambda c: (c["rejected"] is None, c["evidence"]), reverse=True)
    return out


def _places(p: np.ndarray, cut: float) -> int:
    """Number of separate places (single-linkage clusters of at least 3 distinct points) the
    source inliers of one transform occupy: a clone is one place, a grid repeats the same shift
    between several pairs of places."""
    q = np.unique(np.round(p), axis=0)
    if len(q) < 3:
        return int(len(q) > 0)
    lab = _clusters(q, cut)
    return int((np.bincount(lab) >= 3).sum())


def _lattice_check(cands: list[dict], tol: float) -> None:
    """Reject the near-pure translations that are periods of a repeated pattern: a shift that is
    an integer multiple (2x..4x) of another candidate's shift (a row of windows), and groups of
    four or more shifts that are integer combinations of each other when at least one of them
    repeats between several places (a 2-D grid of tiles; three clones of one object also give
    related shifts, but each shift joins one pair of places).

    Vectorised over the candidates: a photograph with many translation candidates (a shelf, a
    facade) must not cost O(n^3) Python iterations (50 candidates took 9 s, 100 took 70 s)."""
    trans = [c for c in cands if abs(c["scale"] - 1) < 0.03 and abs(c["rotation_deg"]) < 2]
    n = len(trans)
    if n < 2:
        return
    t = np.array([c["shift"] for c in trans], np.float64).reshape(n, 2)
    off = ~np.eye(n, dtype=bool)

    def near(d: np.ndarray) -> np.ndarray:
        return np.hypot(d[..., 0], d[..., 1]) < tol

    # multiples: tb = +-k ta for k in 2..4 (rows ia, columns ib)
    mult = np.zeros((n, n), bool)
    for k in (2, 3, 4):
        mult |= near(t[None, :, :] - k * t[:, None, :]) | near(t[None, :, :] + k * t[:, None, :])
    for ia, ib in zip(*np.nonzero(mult & off), strict=True):
        for c in (trans[ia], trans[ib]):
            c["rejected"] = c["rejected"] or "lattice (shift is a multiple of another)"
    # grids: ta = i tb + j tc (i, j in -3..3, both non-zero) for ib < ic, ia not ib or ic
    ij = np.array([(i, j) for i in range(-3, 4) for j in range(-3, 4) if i and j], np.float64)
    related: set[int] = set()
    for ib in range(n - 1):
        ics = np.arange(ib + 1, n)
        for lo in range(0, len(ics), 64):  # bounded memory: n x 64 x 48 distances at a time
            blk = ics[lo : lo + 64]
            v = ij[None, :, 0, None] * t[ib] + ij[None, :, 1, None] * t[blk][:, None, :]  # (blk, 48, 2)
            hit = near(t[:, None, None, :] - v[None]).any(axis=2)  # (ia, blk)
            hit[ib] = False
            hit[blk, np.arange(len(blk))] = False
            for ia, col in zip(*np.nonzero(hit), strict=True):
                related.update((int(ia), ib, int(blk[col])))
    if len(related) >= 4 and any(trans[i]["places"] >= 2 for i in related):
        for i in related:
            trans[i]["rejected"] = trans[i]["rejected"] or "lattice (grid of repeated shifts)"


def region_map(shape: tuple[int, int], cands: list[dict], pts: np.ndarray) -> np.ndarray:
    """Working-scale map: convex hulls of the inliers at both ends of each accepted transform,
    valued by the strength of its evidence (1 at the evidence threshold and above)."""
    import cv2

    m = np.zeros(shape, np.float32)
    for c in cands:
        if c["rejected"] is not None:
            continue
        v = float(min(1.0, c["evidence"] / EVIDENCE_INLIERS))
        for side in (0, 1):
            p = pts[c["pairs"][:, side]]
            hull = cv2.convexHull(np.round(p).astype(np.int32))
            layer = np.zeros(shape, np.uint8)
            cv2.fillConvexPoly(layer, hull, 1)
            for x, y in np.round(p).astype(int):
                cv2.circle(layer, (int(x), int(y)), 4, 1, -1)
            m = np.maximum(m, layer.astype(np.float32) * v)
    return m


def analyse(gray: np.ndarray) -> dict:
    """Everything the detector reports, on a luma image (float or uint8, any size)."""
    g8, s = working_gray(gray)
    h, w = g8.shape
    diag = float(np.hypot(h, w))
    min_dist = max(MIN_DIST_PX, MIN_DIST_FRAC * diag)
    pts, des = keypoints(g8)
    res = {"work_scale": s, "work_shape": (h, w), "n_keypoints": int(len(pts)), "min_dist_px": min_dist}
    if len(pts) < MIN_KEYPOINTS:
        res.update(matches=0, candidates=[], pts=pts)
        return res
    matches, mult = g2nn_matches(pts, des, min_dist)
    cands = fit_transforms(pts, matches, mult, diag, min_dist)
    res.update(matches=int(len(matches)), candidates=cands, pts=pts)
    return res


def not_applicable_reason(gray: np.ndarray) -> str | None:
    """Why a luma image cannot be searched for clones, or None (the detector and the benchmark)."""
    h, w = gray.shape[:2]
    if min(h, w) < MIN_SIDE:
        return f"image too small for keypoint matching ({w}x{h} < {MIN_SIDE} px on a side)"
    s = min(1.0, WORK_LONG / max(h, w))
    if min(h, w) * s < MIN_SIDE:  # a very elongated image: its working copy is a thin strip
        return (f"image too small for keypoint matching (short side {min(h, w) * s:.0f} px in the "
                f"{WORK_LONG}-px working copy of a {w}x{h} image < {MIN_SIDE} px)")
    if R.is_flat(gray):
        return "image is flat (constant): nothing to match"
    return None


def best_evidence(res: dict) -> float:
    """The score: evidence of the best transform that passed every check (0 when none)."""
    acc = [c for c in res["candidates"] if c["rejected"] is None]
    return float(acc[0]["evidence"]) if acc else 0.0


@register
class CopyMove(Detector):
    method = "physical.copy_move"
    version = "0.2"  # 0.2: the map shows only regions at or above the evidence threshold; thin images n/a
    family = "physical"
    media_types = ("image",)
    inputs = ("pixels",)
    category = "locally_edited"
    summary = {
        "zh": "复制-移动（克隆）检测：同一图像内的重复区域（SIFT 关键点匹配）",
        "en": "copy-move (clone) detection: duplicated regions within one image (SIFT keypoint matching)",
    }

    def not_applicable_reason(self, item):
        return not_applicable_reason(item.gray)

    def analyze(self, item):
        res = analyse(item.gray)
        if res["n_keypoints"] < MIN_KEYPOINTS:
            return self.not_applicable(
                f"too few keypoints to match ({res['n_keypoints']} < {MIN_KEYPOINTS}): flat or featureless image")
        cands = res["candidates"]
        acc = [c for c in cands if c["rejected"] is None]
        score = best_evidence(res)
        inv = 1.0 / res["work_scale"]

        def describe(c: dict) -> dict:
            src, dst = res["pts"][c["pairs"][:, 0]] * inv, res["pts"][c["pairs"][:, 1]] * inv
            box = lambda p: [round(float(v)) for v in (*p.min(0), *p.max(0))]  # noqa: E731
            return {"evidence": c["evidence"], "inliers": c["inliers"], "scale": round(c["scale"], 3),
                    "rotation_deg": round(c["rotation_deg"], 1),
                    "shift_px": [round(float(v), 1) for v in np.median(dst - src, axis=0)],
                    "translation_px": [round(float(v) * inv, 1) for v in c["shift"]],
                    "source_box": box(src), "target_box": box(dst),
                    "chain_share": round(c["chain_share"], 2), "rejected": c["rejected"]}

        strong = [c for c in acc if c["evidence"] >= EVIDENCE_INLIERS]
        # only regions that count as evidence are drawn: the saved map is rescaled for display, so a
        # weak candidate would look as bright as a real clone
        heat = region_map(res["work_shape"], strong, res["pts"])
        path = R.save_heatmap(item, "physical.copy_move.png", heat, item.gray.shape) if heat.max() > 0 else None
        d = {
            "n_keypoints": res["n_keypoints"],
            "g2nn_matches": res["matches"],
            "work_scale": round(res["work_scale"], 4),
            "min_match_distance_px": round(res["min_dist_px"] * inv, 1),
            "evidence_threshold": EVIDENCE_INLIERS,
            "regions": [describe(c) for c in acc[:5]],
            "rejected": [describe(c) for c in cands if c["rejected"] is not None][:5],
            "above_threshold": len(strong),
        }
        if strong:
            b = strong[0]
            tx, ty = describe(b)["shift_px"]
            zh = (f"发现 {len(strong)} 处重复区域（复制-移动迹象）：最强一处有 {b['evidence']} 个关键点一一对应，"
                  f"位移 ({tx:.0f}, {ty:.0f}) 像素，旋转 {b['rotation_deg']:.0f}°，缩放 {b['scale']:.2f}；"
                  "也可能是真实的重复结构，请查看区域图")
            en = (f"{len(strong)} duplicated region(s) found (copy-move sign): the strongest has {b['evidence']} "
                  f"keypoints matched one to one, shift ({tx:.0f}, {ty:.0f}) px, rotation "
                  f"{b['rotation_deg']:.0f} deg, scale {b['scale']:.2f}; genuine repeated structures can do "
                  "this too: check the map")
        else:
            zh = (f"未发现重复区域（最强的一致匹配 {score:.0f} 个关键点，低于证据阈值 {EVIDENCE_INLIERS}）；"
                  "平坦区域的克隆无法由关键点发现")
            en = (f"no duplicated region found (best consistent match {score:.0f} keypoints, below the evidence "
                  f"threshold of {EVIDENCE_INLIERS}); clones of flat regions cannot be found from keypoints")
        return self.finding(score, zh=zh, en=en, details=d, heatmap=path)
