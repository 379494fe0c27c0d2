//! Stable sorting through one shared copy of the standard library's sort.
//!
//! `slice::sort_by` is compiled anew for every element type and comparator (its quicksort,
//! driftsort and small-sort bodies, 3-10 KB of wasm each): the npm package held about a dozen
//! such copies, 79 KB of its code. In the wasm build, [`sort_by`] sorts positions (`usize`)
//! under one comparator type, so the sort exists once, and then moves the items into that
//! order. Natively it is the standard sort itself: the same order (both are stable), without
//! the extra allocations on the evaluator's path.

use std::cmp::Ordering;

/// Sorts `items` stably by `cmp`, exactly as `items.sort_by(cmp)` does.
// A vector, not a slice: the wasm build moves the items out and back.
#[allow(clippy::ptr_arg)]
pub(crate) fn sort_by<T>(items: &mut Vec<T>, cmp: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    by_positions(items, cmp);
    #[cfg(not(target_arch = "wasm32"))]
    items.sort_by(cmp);
}

/// Sorts `items[from..]` stably by `cmp`, leaving the items before `from` as they are.
#[allow(clippy::ptr_arg)] // as for `sort_by`
pub(crate) fn sort_tail_by<T>(
    items: &mut Vec<T>,
    from: usize,
    cmp: impl FnMut(&T, &T) -> Ordering,
) {
    #[cfg(target_arch = "wasm32")]
    {
        let mut tail = items.split_off(from.min(items.len()));
        by_positions(&mut tail, cmp);
        items.append(&mut tail);
    }
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(tail) = items.get_mut(from..) {
        tail.sort_by(cmp);
    }
}

/// [`sort_by`] through [`sorted_positions`]: what the wasm build runs (tests run it natively).
#[cfg(any(test, target_arch = "wasm32"))]
pub(crate) fn by_positions<T>(items: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = {
        let view: &[T] = items;
        sorted_positions(view.len(), &mut |a, b| match (view.get(a), view.get(b)) {
            (Some(x), Some(y)) => cmp(x, y),
            _ => Ordering::Equal,
        })
    };
    if order.iter().enumerate().all(|(at, &from)| at == from) {
        return;
    }
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    items.extend(
        order
            .iter()
            .filter_map(|&from| slots.get_mut(from).and_then(Option::take)),
    );
}

/// The positions `0..len` in stable sorted order, `cmp` comparing two items by position. Not
/// generic: the one instantiation of the standard sort that every caller shares.
#[cfg(any(test, target_arch = "wasm32"))]
#[inline(never)]
fn sorted_positions(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorting by positions gives exactly the standard stable sort's order, ties included,
    /// on generated lists of every small length and some long ones.
    #[test]
    fn sorting_by_positions_is_the_standard_stable_sort() {
        let mut rng = crate::source::test_rng::Rng(0x005e_ed0f_5047);
        for case in 0..3_000 {
            let len = if case % 100 == 0 { 2_000 } else { case % 40 };
            // Few distinct keys, so that ties (where stability shows) are common.
            let keys = 1 + rng.below(8);
            let items: Vec<(usize, usize)> = (0..len).map(|i| (rng.below(keys), i)).collect();
            for descending in [false, true] {
                let cmp = |a: &(usize, usize), b: &(usize, usize)| {
                    if descending {
                        b.0.cmp(&a.0)
                    } else {
                        a.0.cmp(&b.0)
                    }
                };
                let mut expected = items.clone();
                expected.sort_by(cmp);
                let mut got = items.clone();
                by_positions(&mut got, cmp);
                assert_eq!(got, expected, "{items:?}");
            }
        }
    }
}
