"""FID and KID between two folders of images, with the standard Inception-v3 FID weights.

    python benchmarks/eval_fid.py REAL_DIR FAKE_DIR --inception pt_inception-2015-12-05-6726825d.pth
        [--batch 16] [--kid-subsets 100] [--kid-subset-size 1000] [--json OUT.json]

The weights are pytorch-fid's port of TensorFlow's ``inception-2015-12-05`` (``FID_WEIGHTS_URL`` in
pytorch-fid): nothing is downloaded here, the user names the file. Without it the script says what is
missing in one line and exits with status 2. Images are read as RGB, resized bilinearly to 299x299
and run through pool3 (:mod:`models.nets.fid_inception`), as pytorch-fid does; FID is the Frechet
distance of the two Gaussians, KID the mean (and spread) of the unbiased cubic-kernel MMD^2 over
subsets (:mod:`models.training.distances`). With few images (tens, as here) FID is strongly biased
upwards: compare numbers only at equal image counts; KID is unbiased.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.errors import StreamerError  # noqa: E402
from models.imagefiles import list_images, read_rgb  # noqa: E402


def features(net, folder: Path, batch: int) -> np.ndarray:
    """(N, 2048) pool3 features of the images of ``folder`` (each resized to 299x299 inside the net)."""
    import torch

    feats = []
    files = list_images(folder)
    with torch.no_grad():
        for i in range(0, len(files), batch):
            x = torch.stack([torch.from_numpy(read_rgb(p)).permute(2, 0, 1).float() / 255.0
                             for p in files[i : i + batch]])
            feats.append(net(x).numpy())
    return np.concatenate(feats).astype(np.float64)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("real", type=Path, help="folder of real images")
    ap.add_argument("fake", type=Path, help="folder of generated images")
    ap.add_argument("--inception", type=Path, help="pt_inception-2015-12-05-6726825d.pth (pytorch-fid's FID weights)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--kid-subsets", type=int, default=100)
    ap.add_argument("--kid-subset-size", type=int, default=1000)
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args(argv)
    try:
        from models.nets.fid_inception import load_fid_inception
        from models.training.distances import fid_from_features, kid

        net = load_fid_inception(args.inception)
        real, fake = features(net, args.real, args.batch), features(net, args.fake, args.batch)
        kid_mean, kid_std = kid(real, fake, args.kid_subsets, args.kid_subset_size)
        result = {"real": str(args.real), "fake": str(args.fake), "n_real": len(real), "n_fake": len(fake),
                  "fid": fid_from_features(real, fake), "kid": kid_mean, "kid_std": kid_std}
    except StreamerError as e:
        print(f"eval_fid: error: {e}", file=sys.stderr)
        return e.exit_code
    except ImportError as e:
        print(f"eval_fid: error: needs torch: pip install 'streamer[train]' ({e.name} is missing)", file=sys.stderr)
        return 2
    print(f"FID {result['fid']:.2f}  KID {result['kid']:.4f} +- {result['kid_std']:.4f}  "
          f"({result['n_real']} real, {result['n_fake']} generated images)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
