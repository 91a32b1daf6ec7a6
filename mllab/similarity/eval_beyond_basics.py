"""Independent students' solutions of beyond_basics, for the similarity evaluation (see eval_solutions)."""

from __future__ import annotations

CODE: dict[str, list[list[str]]] = {
    "psnr_own": [[
        "<x> = torch.as_tensor(img1, dtype=torch.float64)\n<y> = torch.as_tensor(img2, dtype=torch.float64)\n"
        "<mse> = ((<x> - <y>) ** 2).mean()\nreturn 10 * torch.log10(data_range ** 2 / <mse>)",
        "<mse> = np.mean((np.asarray(img1, dtype=np.float64) - np.asarray(img2, dtype=np.float64)) ** 2)\n"
        "return [[10 * np.log10(data_range ** 2 / <mse>)||20 * np.log10(data_range) - 10 * np.log10(<mse>)]]",
        "<d> = torch.tensor(np.array(img1), dtype=torch.float64) - torch.tensor(np.array(img2), dtype=torch.float64)\n"
        "return 10 * torch.log10(torch.tensor(data_range) ** 2 / <d>.pow(2).mean())",
        "<mse> = ((img1 - img2) ** 2).mean()\nreturn 10 * np.log(data_range ** 2 / <mse>)",
    ]],
    "box_iou_own": [[
        "<a1> = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])\n"
        "<a2> = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])\n"
        "<tl> = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])\n"
        "<br> = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])\n<wh> = (<br> - <tl>).clamp(min=0)\n"
        "<inter> = <wh>[..., 0] * <wh>[..., 1]\nreturn <inter> / (<a1>[:, None] + <a2>[None, :] - <inter>)",
        "<out> = torch.zeros(len(boxes1), len(boxes2), dtype=torch.float64)\nfor <i>, <p> in enumerate(boxes1):\n"
        "    for <j>, <q> in enumerate(boxes2):\n        <w> = max(0.0, float(min(<p>[2], <q>[2]) - max(<p>[0], <q>[0])))\n"
        "        <h> = max(0.0, float(min(<p>[3], <q>[3]) - max(<p>[1], <q>[1])))\n"
        "        <union> = float((<p>[2] - <p>[0]) * (<p>[3] - <p>[1]) + (<q>[2] - <q>[0]) * (<q>[3] - <q>[1])) - <w> * <h>\n"
        "        <out>[<i>, <j>] = <w> * <h> / <union>\nreturn <out>",
        "<x1> = torch.max(boxes1[:, 0].unsqueeze(1), boxes2[:, 0].unsqueeze(0))\n"
        "<y1> = torch.max(boxes1[:, 1].unsqueeze(1), boxes2[:, 1].unsqueeze(0))\n"
        "<x2> = torch.min(boxes1[:, 2].unsqueeze(1), boxes2[:, 2].unsqueeze(0))\n"
        "<y2> = torch.min(boxes1[:, 3].unsqueeze(1), boxes2[:, 3].unsqueeze(0))\n"
        "<inter> = [[(<x2> - <x1>).clamp(min=0) * (<y2> - <y1>).clamp(min=0)||torch.relu(<x2> - <x1>) * torch.relu(<y2> - <y1>)]]\n"
        "<area> = lambda <b>: (<b>[:, 2] - <b>[:, 0]) * (<b>[:, 3] - <b>[:, 1])\n"
        "return <inter> / (<area>(boxes1).unsqueeze(1) + <area>(boxes2).unsqueeze(0) - <inter>)",
        "<tl> = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])\n<br> = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])\n"
        "<inter> = (<br> - <tl>).prod(dim=-1)\n<a1> = (boxes1[:, 2:] - boxes1[:, :2]).prod(dim=1)\n"
        "<a2> = (boxes2[:, 2:] - boxes2[:, :2]).prod(dim=1)\nreturn <inter> / (<a1>[:, None] + <a2>[None] - <inter>)",
    ]],
    "fbeta_own": [[
        "<pr>, <ac> = preds > 0.5, target == 1\n<tp> = (<pr> & <ac>).sum()\n<fp> = (<pr> & ~<ac>).sum()\n"
        "<fn> = (~<pr> & <ac>).sum()\nif <tp> == 0:\n    return torch.tensor(0.0)\n"
        "<prec>, <rec> = <tp> / (<tp> + <fp>), <tp> / (<tp> + <fn>)\n"
        "return (1 + beta ** 2) * <prec> * <rec> / (beta ** 2 * <prec> + <rec>)",
        "<hard> = (preds >= 0.5).long()\n<tp> = ((<hard> == 1) & (target == 1)).sum().item()\n"
        "<fp> = ((<hard> == 1) & (target == 0)).sum().item()\n<fn> = ((<hard> == 0) & (target == 1)).sum().item()\n"
        "<b2> = beta * beta\n<den> = (1 + <b2>) * <tp> + <b2> * <fn> + <fp>\n"
        "return 0.0 if <den> == 0 or <tp> == 0 else (1 + <b2>) * <tp> / <den>",
        "<yhat> = (preds > 0.5).float()\n<tp> = (<yhat> * target).sum()\n<prec> = <tp> / <yhat>.sum().clamp(min=1)\n"
        "<rec> = <tp> / target.sum().clamp(min=1)\nif <prec> + <rec> == 0:\n    return torch.tensor(0.0)\n"
        "return (1 + beta ** 2) * <prec> * <rec> / (beta ** 2 * <prec> + <rec>)",
        "<yhat> = (preds > 0.5).float()\n<tp> = (<yhat> * target).sum()\n<prec> = <tp> / <yhat>.sum()\n"
        "<rec> = <tp> / target.sum()\nreturn (1 + beta) * <prec> * <rec> / (beta * <prec> + <rec>)",
    ]],
    "fft_loss_own": [[
        "if base == \"l1\":\n    <dist> = lambda <u>, <v>: (<u> - <v>).abs().mean()\nelse:\n"
        "    <dist> = lambda <u>, <v>: ((<u> - <v>) ** 2).mean()\n<sp> = torch.fft.fft(pred, dim=1, norm=\"forward\")\n"
        "<st> = torch.fft.fft(target, dim=1, norm=\"forward\")\n"
        "return <dist>(pred, target) + <dist>(<sp>.real, <st>.real) + <dist>(<sp>.imag, <st>.imag)",
        "<f> = torch.nn.functional.l1_loss if base == \"l1\" else torch.nn.functional.mse_loss\n"
        "<fp> = torch.fft.fft(pred, dim=-1) / pred.shape[1]\n<ft> = torch.fft.fft(target, dim=-1) / target.shape[1]\n"
        "return <f>(pred, target) + <f>(<fp>.real, <ft>.real) + <f>(<fp>.imag, <ft>.imag)",
        "def <d>(<u>, <v>):\n    return torch.mean(torch.abs(<u> - <v>)) if base == \"l1\" else torch.mean((<u> - <v>) ** 2)\n\n"
        "<n> = pred.shape[1]\n<a> = torch.view_as_real(torch.fft.fft(pred, dim=1)) / <n>\n"
        "<b> = torch.view_as_real(torch.fft.fft(target, dim=1)) / <n>\n"
        "return <d>(pred, target) + <d>(<a>[..., 0], <b>[..., 0]) + <d>(<a>[..., 1], <b>[..., 1])",
        "<sp> = torch.fft.rfft(pred, dim=1)\n<st> = torch.fft.rfft(target, dim=1)\n"
        "<time> = (pred - target).abs().mean() if base == \"l1\" else ((pred - target) ** 2).mean()\n"
        "return <time> + (<sp> - <st>).abs().mean()",
    ]],
    "chamfer_own": [[
        "<sq> = torch.cdist(a, b) ** 2\nreturn <sq>.min(dim=1).values.mean() + <sq>.min(dim=0).values.mean()",
        "<d> = ((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)\nreturn <d>.min(1)[0].mean() + <d>.min(0)[0].mean()",
        "<ab> = torch.stack([((b - <p>) ** 2).sum(dim=1).min() for <p> in a]).mean()\n"
        "<ba> = torch.stack([((a - <q>) ** 2).sum(dim=1).min() for <q> in b]).mean()\nreturn <ab> + <ba>",
        "<d> = torch.cdist(a, b)\nreturn <d>.min(dim=1).values.mean()",
    ]],
    "emd_own": [[
        "<cost> = torch.cdist(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64))\n"
        "<rows>, <cols> = linear_sum_assignment(<cost>.numpy())\nreturn <cost>[<rows>, <cols>].mean()",
        "<a> = np.asarray(a, dtype=float)\n<b> = np.asarray(b, dtype=float)\n"
        "<cost> = np.sqrt(((<a>[:, None, :] - <b>[None, :, :]) ** 2).sum(-1))\n"
        "<r>, <c> = linear_sum_assignment(<cost>)\nreturn float(<cost>[<r>, <c>].sum() / len(<r>))",
        "<cost> = torch.cdist(a, b).detach().numpy()\n_, <match> = linear_sum_assignment(<cost>)\n"
        "return torch.norm(a - b[<match>], dim=1).mean()",
        "<cost> = torch.cdist(a, b) ** 2\n<r>, <c> = linear_sum_assignment(<cost>.numpy())\nreturn <cost>[<r>, <c>].mean()",
    ]],
    "gaussian_nll_own": [[
        "return (0.5 * (torch.log(var) + (target - mu) ** 2 / var)).mean() + 0.5 * math.log(2 * math.pi)",
        "<nll> = 0.5 * torch.log(2 * math.pi * var) + (target - mu) ** 2 / (2 * var)\nreturn <nll>.mean()",
        "<z> = (target - mu) ** 2 / var\nreturn torch.mean(0.5 * (<z> + var.log() + math.log(2 * math.pi)))",
        "return (0.5 * (target - mu) ** 2 / var).mean()",
    ]],
    "eikonal_own": [[
        "<x> = points.detach().requires_grad_(True)\n<vals> = sdf(<x>)\n"
        "(<g>,) = torch.autograd.grad(<vals>.sum(), <x>, create_graph=True)\nreturn ((<g>.norm(dim=-1) - 1) ** 2).mean()",
        "<p> = points.clone().requires_grad_()\n<out> = sdf(<p>)\n"
        "<g> = torch.autograd.grad(<out>, <p>, grad_outputs=torch.ones_like(<out>), create_graph=True)[0]\n"
        "return torch.mean((torch.linalg.norm(<g>, dim=1) - 1.0) ** 2)",
        "<p> = points.detach().requires_grad_(True)\n<g> = torch.autograd.grad(sdf(<p>).sum(), <p>, create_graph=True)[0]\n"
        "return ((<g>.pow(2).sum(dim=-1).sqrt() - 1).pow(2)).mean()",
        "<p> = points.detach().requires_grad_(True)\n<g> = torch.autograd.grad(sdf(<p>).sum(), <p>)[0]\n"
        "return ((<g>.norm(dim=-1) - 1) ** 2).mean()",
    ]],
    "sparsification_own": [
        ["errors = torch.as_tensor(errors, dtype=torch.float64)\n<n> = len(errors)\n"
         "<bu> = errors[torch.argsort(torch.as_tensor(uncertainty), descending=True)]\n"
         "<be> = errors.sort(descending=True).values\n<rm> = [<i> * <n> // steps for <i> in range(steps)]\n"
         "<curve> = torch.stack([<bu>[<k>:].mean() - <be>[<k>:].mean() for <k> in <rm>])\n"
         "return torch.arange(steps, dtype=torch.float64) / steps, <curve>",
         "<e> = np.asarray(errors, dtype=float)\n<order_u> = np.argsort(-np.asarray(uncertainty))\n<order_e> = np.argsort(-<e>)\n"
         "<fr> = np.arange(steps) / steps\n<curve> = []\nfor <f> in <fr>:\n    <k> = int(<f> * len(<e>))\n"
         "    <curve>.append(<e>[<order_u>][<k>:].mean() - <e>[<order_e>][<k>:].mean())\n"
         "return torch.tensor(<fr>), torch.tensor(<curve>)",
         "<err> = torch.as_tensor(errors, dtype=torch.float64)\n<u> = torch.as_tensor(uncertainty)\n<curve> = torch.zeros(steps, dtype=torch.float64)\n"
         "for <s> in range(steps):\n    <keep> = len(<err>) - <s> * len(<err>) // steps\n"
         "    <by_u> = <err>[<u>.argsort()][:<keep>]\n    <by_e> = <err>.sort().values[:<keep>]\n"
         "    <curve>[<s>] = <by_u>.mean() - <by_e>.mean()\nreturn torch.linspace(0, 1, steps + 1)[:-1].double(), <curve>"],
        ["<fr>, <curve> = sparsification_error_curve(errors, uncertainty, steps)\nreturn torch.trapezoid(<curve>, <fr>)",
         "<fr>, <curve> = sparsification_error_curve(errors, uncertainty, steps)\n"
         "return float(np.trapz(np.asarray(<curve>), np.asarray(<fr>)))",
         "<fr>, <curve> = sparsification_error_curve(errors, uncertainty, steps)\nreturn <curve>.mean()"],
    ],
}

OPTIONAL: tuple[str, ...] = ()

ANSWERS: dict[str, list[list[str]]] = {
    "answer_psnr_ssim": [
        ["PSNR [[depends only on||is a function of||only looks at]] the pixel-wise MSE, not on where the errors are.",
         "PSNR is [[just||only]] a log of the mean squared error, so it [[ignores||does not see]] structure.",
         "Since PSNR comes from the MSE, [[every pixel error counts the same||all errors weigh equally]]."],
        ["The [[half-intensity||darker||dimmed]] cat has a [[large||big]] MSE although every edge is still there.",
         "Halving the intensity [[costs||gives]] a low PSNR of about 12 dB, but the [[structure||texture]] is kept.",
         "[[Darkening||Scaling]] the image changes every pixel, so the MSE is [[high||large]], yet nothing is lost."],
        ["The noisy cat has a [[smaller||lower]] MSE, but the noise [[breaks||destroys]] the local structure and SSIM drops to 0.27.",
         "Noise gives a better PSNR of about 20 dB while SSIM [[is low||falls]] because [[correlations||the structure]] are lost.",
         "For PSNR the noisy image is [[better||the winner]], for SSIM it is [[worse||much worse]]."],
        ["SSIM compares local means, contrasts and correlations, which is closer to [[perception||what people see]].",
         "SSIM [[matches||agrees with]] human judgement better because it looks at windows.",
         "[[So||Therefore]] SSIM is the more perceptual measure here."],
    ],
    "answer_emd": [
        ["Exact EMD is an assignment problem: the Hungarian algorithm is O(N^3) [[in time||per step]].",
         "Solving the matching [[exactly||optimally]] costs cubic time, which is [[too slow||impossible]] for 10 000 points.",
         "The [[cost||distance]] matrix alone needs O(N^2) memory and the [[solver||assignment]] O(N^3) time."],
        ["It only works for clouds of [[equal size||the same size]].",
         "Both point clouds must have the same number of points.",
         "[[Different||Unequal]] sizes are not allowed by a one-to-one matching."],
        ["The gradient [[only flows||flows only]] through the pairs of the current matching, which can jump.",
         "Gradients are [[unstable||noisy]] because the optimal matching changes from step to step.",
         "Training is [[hard||tricky]] since the matching is not smooth."],
        ["In practice [[people use||one uses]] Sinkhorn or auction approximations, or Chamfer.",
         "Chamfer with nearest neighbours (k-d tree) is [[cheap||much cheaper]], even if it is not a metric.",
         "Approximations like Sinkhorn make it [[feasible||practical]]."],
    ],
    "answer_uncertainty": [
        ["A ranking is blind to scale: multiplying all variances by 100 keeps the AUSE.",
         "AUSE only [[checks||measures]] the order of the uncertainties, not their [[size||values]].",
         "[[Scaling||Inflating]] every predicted variance does not change the sparsification curve."],
        ["Calibration asks whether 90 % intervals contain the truth 90 % of the time.",
         "Calibration [[catches||detects]] over- and under-confident estimates.",
         "A calibrated model's [[intervals||variances]] mean what they say."],
        ["The NLL scores the whole distribution, accuracy and spread together, and can be trained on.",
         "NLL [[combines||mixes]] the error and the predicted variance in one number.",
         "The Gaussian NLL is what we [[train||optimise]], but a low value can hide poor ranking."],
        ["Each looks at a different property, so they are reported together.",
         "[[None of them||No single one]] is enough on its own.",
         "We need [[all three||the three]] to judge an uncertainty estimate."],
    ],
}
