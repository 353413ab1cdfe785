//! This process's place in a data-parallel job. Launched by `mpirun` or `srun` (which set the
//! variables in [`LAUNCHERS`]), a build with the `mpi` feature joins the MPI world; anything else
//! is one rank, with today's behaviour bit for bit.

use anyhow::{Result, bail};
use swd_train::parallel::World;

/// Variables a launcher sets in every rank's environment: OpenMPI's, and MPICH / Intel MPI / Slurm
/// PMI's. Their presence, not their value, says "launched as one of a job's ranks".
const LAUNCHERS: [&str; 3] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"];

/// The ranks of this process's job, and its index among the ranks on its own machine.
pub struct Job {
    pub world: World,
    pub local_rank: usize,
    /// MPI stays initialised as long as this lives (finalised on drop).
    #[cfg(feature = "mpi")]
    _universe: Option<mpi::environment::Universe>,
}

impl Job {
    /// Joins the launcher's job, or is the only rank.
    pub fn start() -> Result<Self> {
        let launched = LAUNCHERS.iter().any(|v| std::env::var_os(v).is_some());
        if !launched {
            return Ok(Self::alone());
        }
        join()
    }

    /// One rank: a plain run.
    pub fn alone() -> Self {
        Self {
            world: World::single(),
            local_rank: 0,
            #[cfg(feature = "mpi")]
            _universe: None,
        }
    }

    /// Ends the whole job after this rank's error: every other rank, wherever it waits, is
    /// stopped by the launcher instead of hanging in a collective.
    pub fn abort(&self, code: i32) -> ! {
        #[cfg(feature = "mpi")]
        if let Some(universe) = &self._universe {
            use mpi::traits::Communicator;
            universe.world().abort(code);
        }
        std::process::exit(code)
    }
}

#[cfg(not(feature = "mpi"))]
fn join() -> Result<Job> {
    let size = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"].iter().find_map(|v| std::env::var(v).ok()?.parse::<usize>().ok());
    match size {
        Some(1) => Ok(Job::alone()),
        _ => bail!(
            "launched as one of several ranks (mpirun/srun), but this swd-native was built without MPI: rebuild with `cargo build --release -p swd-native --features mpi`"
        ),
    }
}

#[cfg(feature = "mpi")]
fn join() -> Result<Job> {
    use mpi::Threading;
    use mpi::traits::Communicator;
    use std::sync::Arc;

    // Every MPI call comes from the main thread (the Ctrl-C handler only sets a flag).
    let Some((universe, _)) = mpi::initialize_with_threading(Threading::Funneled) else {
        bail!("MPI was already initialised in this process");
    };
    let world = universe.world();
    let local_rank = world.split_shared(0).rank() as usize;
    let world = World::new(Arc::new(mpi_world::Mpi { comm: world }));
    Ok(Job { world, local_rank, _universe: Some(universe) })
}

/// The collectives over MPI's world communicator.
#[cfg(feature = "mpi")]
mod mpi_world {
    use anyhow::Result;
    use mpi::collective::SystemOperation;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::{Communicator, CommunicatorCollectives};
    use swd_train::parallel::Collective;

    /// MPI counts elements in a C `int`.
    const MAX_COUNT: usize = i32::MAX as usize;

    pub struct Mpi {
        pub comm: SimpleCommunicator,
    }

    impl Collective for Mpi {
        fn rank(&self) -> usize {
            self.comm.rank() as usize
        }

        fn size(&self) -> usize {
            self.comm.size() as usize
        }

        fn sum(&self, values: &mut [f32]) -> Result<()> {
            for chunk in values.chunks_mut(MAX_COUNT) {
                let send = chunk.to_vec();
                self.comm.all_reduce_into(&send[..], chunk, SystemOperation::sum());
            }
            Ok(())
        }

        fn gather(&self, value: u64) -> Result<Vec<u64>> {
            let mut all = vec![0u64; self.size()];
            self.comm.all_gather_into(&value, &mut all[..]);
            Ok(all)
        }
    }
}
