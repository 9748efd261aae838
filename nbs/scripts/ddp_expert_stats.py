"""One rank of `07_model`'s DDP test: two training steps of the tiny model on this rank's own batch (gloo, CPU), then
`sync_expert_stats`; writes the DDP kwargs and the experts' BatchNorm buffers before and after to OUT/rank{RANK}.json.
Run by the chapter's `run_ranks` as `python ddp_expert_stats.py RANK WORLD INIT_URL OUT`."""
import json, sys, torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from medmoe.core import get_preset, set_seed
from medmoe.model import MedMoE
from medmoe.losses import MedMoELoss
rank, world, init, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
torch.set_num_threads(1)
dist.init_process_group('gloo', init_method=init, rank=rank, world_size=world)
cfg = get_preset('tiny')
set_seed(0)
model = MedMoE.from_config(cfg).train()                          # the same initial weights on every rank
ddp = DDP(model, **model.ddp_kwargs)
g = torch.Generator().manual_seed(100 + rank)                    # each rank its own images and reports
B, L = 4, 12
ids = torch.randint(5, cfg.text.vocab_size, (B, L), generator=g)
ids[:, 0] = 2
wids = torch.arange(L).expand(B, L) - 1
for step in range(2):
    batch = dict(image=torch.randn(B, 3, 64, 64, generator=g), input_ids=ids, attention_mask=torch.ones_like(ids),
                 word_ids=wids)
    ddp.zero_grad()
    MedMoELoss(cfg)(ddp(batch), torch.randint(0, 6, (B,), generator=g)).backward()
stats = lambda: {k: v.tolist() for k, v in model.moe.named_buffers()}
before = stats()
synced = model.sync_expert_stats()
json.dump(dict(kwargs=model.ddp_kwargs, before=before, after=stats(), synced=synced),
          open(f'{outdir}/rank{rank}.json', 'w'))
dist.destroy_process_group()
