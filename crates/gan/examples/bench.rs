fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    gantry_engine::set_threads(args.get(2).copied().unwrap_or(0));
    let opts = gantry_gan::bench::BenchOptions {
        config: gantry_gan::config::TrainConfig::default(),
        iters: args.first().copied().unwrap_or(5),
        warmup: args.get(1).copied().unwrap_or(1),
    };
    let r = gantry_gan::bench::run_bench(&opts, |l| eprintln!("{l}")).unwrap();
    eprintln!("{r:?}");
    println!("{}", r.result_line());
}
