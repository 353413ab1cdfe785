//! Data parallelism: the ranks of a run, the collectives they share, and each rank's share of
//! a global batch. The training loops see a [`World`]; a plain run is [`World::single`] (one
//! rank, no collective is ever called), `mpirun` gives the MPI one (swd-native's `mpi`).
//!
//! The contract that makes N ranks × B/N equal 1 rank × B: every rank draws the whole global
//! batch's randomness from the same stream and keeps its [`Shard`]; gradients are averaged over
//! ranks before clipping and the optimizer step (one flat buffer: one all-reduce), so every rank
//! holds the same weights; losses are means over equal slices, so their mean is the global one.

use std::cell::Cell;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};

/// The collectives a data-parallel run needs, called from one thread, in the same order on every
/// rank.
pub trait Collective {
    fn rank(&self) -> usize;
    fn size(&self) -> usize;
    /// Element-wise sum over ranks, in place.
    fn sum(&self, values: &mut [f32]) -> Result<()>;
    /// Every rank's `value`, in rank order.
    fn gather(&self, value: u64) -> Result<Vec<u64>>;
}

/// One process: the identity of every collective.
struct Alone;

impl Collective for Alone {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn sum(&self, _: &mut [f32]) -> Result<()> {
        Ok(())
    }
    fn gather(&self, value: u64) -> Result<Vec<u64>> {
        Ok(vec![value])
    }
}

/// The ranks of a run, with the all-reduce time and bytes spent since the last [`World::take_stats`].
#[derive(Clone)]
pub struct World {
    comm: Arc<dyn Collective>,
    stats: Arc<Cell<ReduceStats>>,
}

/// Time and payload of the gradient all-reduces.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReduceStats {
    pub calls: usize,
    pub seconds: f64,
    pub bytes: usize,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "World(rank {} of {})", self.rank(), self.size())
    }
}

impl World {
    pub fn single() -> Self {
        Self::new(Arc::new(Alone))
    }

    pub fn new(comm: Arc<dyn Collective>) -> Self {
        Self { comm, stats: Arc::new(Cell::new(ReduceStats::default())) }
    }

    pub fn rank(&self) -> usize {
        self.comm.rank()
    }

    pub fn size(&self) -> usize {
        self.comm.size()
    }

    /// Whether this rank writes the run folder (rank 0).
    pub fn is_writer(&self) -> bool {
        self.rank() == 0
    }

    /// This rank's share of a global batch of `global`.
    pub fn shard(&self, global: usize) -> Result<Shard> {
        Shard::of(global, self.rank(), self.size())
    }

    /// `g` averaged over ranks (`[n]`, through the host). One rank: `g` itself, untouched.
    pub fn mean<const D: usize>(&self, g: Tensor<D>) -> Result<Tensor<D>> {
        if self.size() == 1 {
            return Ok(g);
        }
        let started = Instant::now();
        let (shape, device) = (g.shape(), g.device());
        let mut values = g.into_data().convert::<f32>().try_into_vec::<f32>().map_err(|e| anyhow::anyhow!("gradient read-back: {e:?}"))?;
        self.comm.sum(&mut values)?;
        let n = self.size() as f32;
        values.iter_mut().for_each(|v| *v /= n);
        let bytes = values.len() * 4;
        let mean = Tensor::from_data(TensorData::new(values, shape), &device);
        let mut stats = self.stats.get();
        stats.calls += 1;
        stats.seconds += started.elapsed().as_secs_f64();
        stats.bytes += bytes;
        self.stats.set(stats);
        Ok(mean)
    }

    /// Host values (logged losses) averaged over ranks.
    pub fn mean_values(&self, mut values: Vec<f32>) -> Result<Vec<f32>> {
        if self.size() > 1 {
            self.comm.sum(&mut values)?;
            let n = self.size() as f32;
            values.iter_mut().for_each(|v| *v /= n);
        }
        Ok(values)
    }

    /// Whether `flag` is set on any rank.
    pub fn any(&self, flag: bool) -> Result<bool> {
        if self.size() == 1 {
            return Ok(flag);
        }
        Ok(self.comm.gather(flag as u64)?.contains(&1))
    }

    /// Every rank's `value`, in rank order.
    pub fn gather(&self, value: u64) -> Result<Vec<u64>> {
        self.comm.gather(value)
    }

    /// Checks that every rank holds the same parameters as rank 0 (`what`: "the student at step
    /// 12"), bit for bit: a hash of every value, gathered.
    pub fn check_replicas<M: Module>(&self, module: &M, what: &str) -> Result<()> {
        if self.size() == 1 {
            return Ok(());
        }
        let hashes = self.comm.gather(checksum(module))?;
        if let Some(rank) = hashes.iter().position(|&h| h != hashes[0]) {
            bail!(
                "rank {rank}'s copy of {what} differs from rank 0's: the replicas diverged (checksums {:016x} vs {:016x})",
                hashes[rank],
                hashes[0]
            );
        }
        Ok(())
    }

    /// The all-reduce statistics since the last call.
    pub fn take_stats(&self) -> ReduceStats {
        self.stats.replace(ReduceStats::default())
    }
}

/// FNV-1a over the bits of every float parameter, in the module's order.
pub fn checksum<M: Module>(module: &M) -> u64 {
    struct Hash(u64);
    impl ModuleVisitor for Hash {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let values = param.val().into_data().convert::<f32>();
            for byte in values.as_bytes() {
                self.0 = (self.0 ^ *byte as u64).wrapping_mul(0x100_0000_01b3);
            }
        }
    }
    let mut hash = Hash(0xcbf2_9ce4_8422_2325);
    module.visit(&mut hash);
    hash.0
}

/// A rank's rows `start..start + len` of a global batch of `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub start: usize,
    pub len: usize,
    pub global: usize,
}

impl Shard {
    /// The whole batch (one rank).
    pub fn whole(global: usize) -> Self {
        Self { start: 0, len: global, global }
    }

    /// Rank `rank` of `size`'s equal share: the batch must divide evenly, so that the mean of
    /// the ranks' mean losses is the global mean.
    pub fn of(global: usize, rank: usize, size: usize) -> Result<Self> {
        if global % size != 0 {
            bail!("batch_size {global} does not divide among {size} ranks; use a multiple of {size}");
        }
        let len = global / size;
        Ok(Self { start: rank * len, len, global })
    }

    pub fn range(&self) -> Range<usize> {
        self.start..self.start + self.len
    }

    /// This shard's rows of per-sample values `all` (`global` rows of `all.len() / global`).
    pub fn rows<T: Clone>(&self, all: &[T]) -> Vec<T> {
        let per = all.len() / self.global;
        all[self.start * per..(self.start + self.len) * per].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::Device;

    #[test]
    fn shards_cover_the_batch_in_order_and_refuse_uneven_splits() {
        let shards: Vec<Shard> = (0..4).map(|r| Shard::of(8, r, 4).unwrap()).collect();
        let rows: Vec<usize> = shards.iter().flat_map(|s| s.range()).collect();
        assert_eq!(rows, (0..8).collect::<Vec<_>>());
        let all: Vec<u32> = (0..24).collect();
        assert_eq!(shards[1].rows(&all), vec![6, 7, 8, 9, 10, 11]);
        assert_eq!(Shard::whole(8).rows(&all), all);
        let err = Shard::of(6, 0, 4).unwrap_err().to_string();
        assert!(err.contains("batch_size 6 does not divide among 4 ranks"), "{err}");
    }

    #[test]
    fn one_rank_leaves_everything_untouched() {
        let world = World::single();
        let device = Device::flex();
        let g = Tensor::<1>::from_data(TensorData::new(vec![1.0f32, -2.0], [2]), &device);
        assert_eq!(world.mean(g.clone()).unwrap().into_data(), g.into_data());
        assert!(world.any(true).unwrap() && !world.any(false).unwrap());
        assert_eq!(world.take_stats(), ReduceStats::default());
        assert_eq!(world.shard(5).unwrap(), Shard::whole(5));
    }

    /// Two ranks in one process: sums over a shared board, in call order.
    struct Pair {
        rank: usize,
        board: Arc<std::sync::Mutex<Vec<Vec<f32>>>>,
    }

    impl Collective for Pair {
        fn rank(&self) -> usize {
            self.rank
        }
        fn size(&self) -> usize {
            2
        }
        fn sum(&self, values: &mut [f32]) -> Result<()> {
            // Rank 1 adds what rank 0 posted (tests call rank 0 first).
            let mut board = self.board.lock().unwrap();
            if self.rank == 0 {
                board.push(values.to_vec());
            } else {
                let other = board.remove(0);
                values.iter_mut().zip(other).for_each(|(v, o)| *v += o);
            }
            Ok(())
        }
        /// Rank 1 always reports another value than rank 0: replicas that diverged.
        fn gather(&self, value: u64) -> Result<Vec<u64>> {
            Ok(vec![value, value ^ 1])
        }
    }

    #[test]
    fn mean_divides_the_sum_and_counts_its_bytes() {
        let board = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (a, b) = (World::new(Arc::new(Pair { rank: 0, board: board.clone() })), World::new(Arc::new(Pair { rank: 1, board })));
        let device = Device::flex();
        let t = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [3]), &device);
        a.mean(t(vec![1.0, 2.0, 3.0])).unwrap();
        let mean = b.mean(t(vec![3.0, 2.0, -3.0])).unwrap().into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(mean, vec![2.0, 2.0, 0.0]);
        let stats = b.take_stats();
        assert_eq!((stats.calls, stats.bytes), (1, 12));
        assert_eq!(b.take_stats().calls, 0);
    }

    #[test]
    fn diverged_replicas_are_named() {
        let world = World::new(Arc::new(Pair { rank: 0, board: Default::default() }));
        let device = Device::flex();
        let net: Linear = LinearConfig::new(3, 2).init(&device);
        let err = world.check_replicas(&net, "the student at step 3").unwrap_err().to_string();
        assert!(err.contains("rank 1's copy of the student at step 3 differs from rank 0's"), "{err}");
        assert_eq!(checksum(&net), checksum(&net.clone()));
        let other: Linear = LinearConfig::new(3, 2).init(&device);
        assert_ne!(checksum(&net), checksum(&other));
    }
}
