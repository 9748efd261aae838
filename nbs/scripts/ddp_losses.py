"""One rank of `06_losses`'s DDP test: `MedMoELoss` with gathered negatives on this rank's rows (gloo, CPU), compared
with the whole batch's loss on one process, for even, uneven and empty splits; writes OUT/rank{RANK}.json.
Run by the chapter's `run_ddp_check` as `python ddp_losses.py RANK WORLD INIT_URL OUT`."""
import json, math, sys, torch, torch.nn as nn, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from medmoe.core import get_preset
from medmoe.losses import MedMoELoss
rank, world, init, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
B, N, R, F, E = 6, 5, 7, 4, 8
cfg = get_preset('tiny', **{'loss.local_chunk': 2, 'loss.aux_weight': 1.5})
g = torch.Generator().manual_seed(0)
lens = torch.tensor([5, 1, 3, 2, 4, 3])  # words per report
data = dict(img=torch.randn(B, F, generator=g), txt=torch.randn(B, F, generator=g),
            reg=torch.randn(B, R, F, generator=g), wrd=torch.randn(B, N, F, generator=g),
            mask=torch.arange(N)[None] < lens[:, None])
modality = torch.tensor([0, -1, -1, 3, 5, 1])  # unequal labelled counts on the ranks

class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.img, self.txt, self.reg, self.wrd = (nn.Linear(F, E) for _ in range(4))
        self.router = nn.Linear(F, 6)
        self.log_scale = nn.Parameter(torch.tensor(math.log(10.)))
    def forward(self, x):
        logits = self.router(x['txt'])
        p = logits.softmax(-1)  # a load-balancing-like term: a function of the batch mean, non-linear in the batch
        aux = {'balance': 0.1 * p.shape[1] * p.mean(0).pow(2).sum()} if len(p) else {}
        return dict(img_emb=self.img(x['img']), txt_emb=self.txt(x['txt']), regions=self.reg(x['reg']),
                    words=self.wrd(x['wrd']), word_mask=x['mask'], router_logits=logits, image_router_logits=None,
                    aux=aux, logit_scale=self.log_scale.exp())

def part(lo, hi):
    "Rows lo:hi, the reports cut to their longest (as a rank's collator pads them)."
    n = int(lens[lo:hi].max()) if hi > lo else 0
    return {k: v[lo:hi, :n] if k in ('wrd', 'mask') else v[lo:hi] for k, v in data.items()}

dist.init_process_group('gloo', init_method=init, rank=rank, world_size=world)
res = {}
for split in ((3, 3), (4, 2), (6, 0)):
    ends = [sum(split[:r]) for r in range(world + 1)]
    torch.manual_seed(0)
    ref_model = Tiny()
    whole = ref_model(data)
    rank_aux = [ref_model(part(ends[r], ends[r + 1]))['aux'].get('balance') for r in range(world)]
    per_rank_aux = sum(a for a in rank_aux if a is not None) / world  # what DDP optimises for the aux term
    batch_aux = whole['aux']['balance'].item()
    ref = MedMoELoss(cfg, gather=False)({**whole, 'aux': {}}, modality) + per_rank_aux
    ref.backward()
    torch.manual_seed(0)
    model = DDP(Tiny())
    x = part(ends[rank], ends[rank + 1])
    loss = MedMoELoss(cfg)(model(x), modality[ends[rank]:ends[rank + 1]])
    loss.backward()
    mean = loss.detach().clone()
    dist.all_reduce(mean)
    mean /= world
    grads = {n: (p.grad - q.grad).abs().max().item()
             for (n, p), (_, q) in zip(model.module.named_parameters(), ref_model.named_parameters())}
    res[f'{split[0]}+{split[1]}'] = dict(loss_err=abs(mean - ref).item(), rank_loss=loss.item(), rows=x['img'].shape[0],
                                         words=x['wrd'].shape[1], grad_err=grads, batch_aux=batch_aux,
                                         per_rank_aux=per_rank_aux.item())
json.dump(res, open(f'{outdir}/rank{rank}.json', 'w'))
dist.destroy_process_group()
