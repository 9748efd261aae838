"""One rank of `08_learner`'s DDP test: train the tiny model on this rank's shard (gloo, CPU) and write what
the rank saw to OUT/rank{RANK}.json. Run by the chapter's `run_ranks` as `python ddp_fit.py RANK WORLD INIT_URL OUT`."""
import json, sys, torch, torch.distributed as dist
from medmoe.core import get_preset, set_seed
from medmoe.synth import synth_records
from medmoe.text import build_tokenizer
from medmoe.loaders import get_dataloaders
from medmoe.learner import medmoe_learner, quiet, fit_medmoe, shard_dataloader, SyncValidMetrics, run_state
rank, world, init, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
torch.set_num_threads(1)
dist.init_process_group('gloo', init_method=init, rank=rank, world_size=world)
cfg = get_preset('tiny', **{'train.batch_size': 4, 'train.epochs': 3, 'train.schedule': 'plateau'})
recs = synth_records(56, seed=0, difficulty='tiny', image_size=64)
tok = build_tokenizer(cfg.text, [r.report for r in recs if r.split == 'train'])
dls = get_dataloaders(recs, cfg, tok)
for dl in (dls.train, dls.valid): shard_dataloader(dl, rank, world)
set_seed(0); learn = quiet(medmoe_learner(cfg, dls, tokenizer=tok, early_stop=1))
combined = [float(v) for v in learn.validate()]
learn.remove_cb(learn.sync_valid_metrics); own = [float(v) for v in learn.validate()]; learn.add_cb(SyncValidMetrics())
fit_medmoe(learn, 3)
json.dump(dict(combined=combined, own=own, history=run_state(learn).history), open(f'{out}/rank{rank}.json', 'w'))
dist.destroy_process_group()
