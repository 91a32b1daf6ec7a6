"""Independent students' solutions of loss_and_metric, for the similarity evaluation.

Each function has several genuinely different implementations (as different students write them:
other library calls, loops or vectorised code, intermediate variables or none), correct and
incorrect ones. A template may hold choices ``[[a||b]]`` (one is drawn per student) and names
``<x>`` (each student draws their own spelling of each name). Written answers are drawn point by
point from several phrasings.
"""

from __future__ import annotations

# cell grade_id -> one list of implementations per function of the cell, in the cell's order
CODE: dict[str, list[list[str]]] = {
    "mse_mae_own": [
        ["return (input - target).abs().mean()",
         "return torch.mean(torch.abs(input - target))",
         "<d> = input - target\nreturn <d>.abs().sum() / <d>.numel()",
         "return (input - target).mean().abs()",
         "<err> = torch.abs(target - input)\nreturn <err>.[[mean()||sum() / <err>.numel()]]"],
        ["return ((input - target) ** 2).mean()",
         "return torch.mean((input - target)[[ ** 2||.pow(2)]])",
         "<d> = input - target\nreturn (<d> * <d>).[[mean()||sum() / <d>.numel()]]",
         "return ((input - target).mean()) ** 2",
         "return torch.sum((input - target) ** 2) / input.numel()"],
    ],
    "mse_mae_lib": [
        ["return torch.nn.L1Loss()(input, target)",
         "<l> = torch.nn.L1Loss()\nreturn <l>(input, target)",
         "return torch.nn.L1Loss(reduction=\"mean\")(input, target)"],
        ["return torch.nn.MSELoss()(input, target)",
         "<l> = torch.nn.MSELoss()\nreturn <l>(input, target)",
         "return torch.nn.MSELoss(reduction=\"mean\")(input, target)"],
    ],
    "ce_own": [[
        "<ln> = torch.logsumexp(input, dim=1)\n<tl> = input.gather(1, target[:, None]).squeeze(1)\n"
        "return (<ln> - <tl>).mean()",
        "<m> = input.max(dim=1, keepdim=True).values\n<s> = input - <m>\n"
        "<lp> = <s> - torch.log(torch.exp(<s>).sum(dim=1, keepdim=True))\n"
        "return -<lp>[torch.arange(input.shape[0]), target].mean()",
        "<lp> = torch.log_softmax(input, dim=1)\nreturn -<lp>[range(len(target)), target].mean()",
        "<oh> = torch.nn.functional.one_hot(target, input.shape[1])\n"
        "return -(<oh> * (input - torch.logsumexp(input, dim=1, keepdim=True))).sum(dim=1).mean()",
        "<p> = torch.exp(input) / torch.exp(input).sum(dim=1, keepdim=True)\n"
        "return -torch.log(<p>[torch.arange(len(target)), target]).mean()",
        "<tot> = 0.0\nfor <i> in range(input.shape[0]):\n    <row> = input[<i>]\n"
        "    <tot> = <tot> + torch.logsumexp(<row>, dim=0) - <row>[target[<i>]]\nreturn <tot> / input.shape[0]",
    ]],
    "ce_lib": [
        ["return torch.nn.CrossEntropyLoss()(input, target)",
         "<c> = torch.nn.CrossEntropyLoss()\nreturn <c>(input, target)",
         "return torch.nn.CrossEntropyLoss(reduction=\"mean\")(input, target)"],
        ["return torch.nn.NLLLoss()(torch.nn.LogSoftmax(dim=1)(input), target)",
         "<lp> = torch.nn.LogSoftmax(dim=1)(input)\nreturn torch.nn.NLLLoss()(<lp>, target)",
         "return torch.nn.NLLLoss()(torch.log(torch.nn.Softmax(dim=1)(input)), target)"],
    ],
    "cosine_own": [[
        "<dot> = (preds * target).sum(dim=1)\nreturn <dot> / (preds.norm(dim=1) * target.norm(dim=1))",
        "return torch.sum(preds * target, dim=1) / (torch.linalg.norm(preds, dim=1) * torch.linalg.norm(target, dim=1))",
        "<a> = preds / preds.norm(dim=1, keepdim=True)\n<b> = target / target.norm(dim=1, keepdim=True)\n"
        "return (<a> * <b>).sum(dim=1)",
        "<num> = (preds * target).sum(1)\n<den> = torch.sqrt((preds ** 2).sum(1)) * torch.sqrt((target ** 2).sum(1))\n"
        "return <num> / <den>",
        "return (preds * target).sum(dim=0) / (preds.norm(dim=0) * target.norm(dim=0))",
        "return torch.einsum(\"nd,nd->n\", preds, target) / (preds.norm(dim=1) * target.norm(dim=1))",
    ]],
    "cosine_lib": [[
        "return torchmetrics.CosineSimilarity(reduction=\"none\")(preds, target)",
        "<m> = torchmetrics.CosineSimilarity(reduction=\"none\")\nreturn <m>(preds, target)",
        "from torchmetrics import CosineSimilarity\nreturn CosineSimilarity(reduction=\"none\")(preds, target)",
    ]],
    "accuracy_own": [[
        "if average == \"micro\":\n    return (preds == target).float().mean()\n"
        "<per> = torch.stack([(preds[target == <c>] == <c>).float().mean() for <c> in range(num_classes)])\n"
        "return <per>.mean() if average == \"macro\" else <per>",
        "if average == \"micro\":\n    return (preds == target).float().mean()\n<scores> = []\n"
        "for <c> in range(num_classes):\n    <mask> = target == <c>\n"
        "    <scores>.append((preds[<mask>] == <c>).float().mean())\n<per> = torch.stack(<scores>)\n"
        "if average == \"macro\":\n    return <per>.mean()\nreturn <per>",
        "<correct> = torch.bincount(target[preds == target], minlength=num_classes).float()\n"
        "<support> = torch.bincount(target, minlength=num_classes).float()\n<per> = <correct> / <support>\n"
        "if average == \"micro\":\n    return <correct>.sum() / <support>.sum()\n"
        "return <per>.mean() if average == \"macro\" else <per>",
        "<cm> = torch.zeros(num_classes, num_classes)\nfor <t>, <p> in zip(target, preds):\n    <cm>[<t>, <p>] += 1\n"
        "<per> = <cm>.diag() / <cm>.sum(dim=1)\nif average == \"micro\":\n    return <cm>.diag().sum() / <cm>.sum()\n"
        "elif average == \"macro\":\n    return <per>.mean()\nreturn <per>",
        "if average == \"micro\":\n    return (preds == target).sum() / len(target)\n<scores> = []\n"
        "for <c> in range(num_classes):\n    <scores>.append((target[preds == <c>] == <c>).float().mean())\n"
        "<per> = torch.tensor(<scores>)\nreturn <per>.mean() if average == \"macro\" else <per>",
    ]],
    "accuracy_lib": [[
        "from torchmetrics.classification import MulticlassAccuracy\n"
        "return MulticlassAccuracy(num_classes=num_classes, average=average)(preds, target)",
        "import torchmetrics\n<m> = torchmetrics.classification.MulticlassAccuracy(num_classes=num_classes, average=average)\n"
        "return <m>(preds, target)",
        "<m> = torchmetrics.Accuracy(task=\"multiclass\", num_classes=num_classes, average=average)\n"
        "return <m>(preds, target)",
    ]],
    "roc_own": [[
        "<pos> = preds[None, :] >= thresholds[:, None]\n<act> = target.bool()[None, :]\n"
        "<tpr> = (<pos> & <act>).sum(dim=1) / <act>.sum()\n<fpr> = (<pos> & ~<act>).sum(dim=1) / (~<act>).sum()\n"
        "return <fpr>, <tpr>",
        "<fprs>, <tprs> = [], []\n<np_> = (target == 1).sum()\n<nn_> = (target == 0).sum()\n"
        "for <t> in thresholds:\n    <hit> = preds >= <t>\n    <tprs>.append((<hit> & (target == 1)).sum() / <np_>)\n"
        "    <fprs>.append((<hit> & (target == 0)).sum() / <nn_>)\nreturn torch.stack(<fprs>), torch.stack(<tprs>)",
        "<P> = target.sum()\n<N> = len(target) - <P>\n"
        "<tpr> = torch.tensor([((preds >= <t>) & (target == 1)).sum().item() / <P> for <t> in thresholds])\n"
        "<fpr> = torch.tensor([((preds >= <t>) & (target == 0)).sum().item() / <N> for <t> in thresholds])\n"
        "return <fpr>, <tpr>",
        "<pos> = preds[None, :] >= thresholds[:, None]\n<act> = target.bool()[None, :]\n"
        "return (<pos> & <act>).float().mean(dim=1) * 2, (<pos> & ~<act>).float().mean(dim=1) * 2",
        "<res> = []\nfor <t> in thresholds.tolist():\n    <pr> = (preds > <t>).long()\n"
        "    <tp> = ((<pr> == 1) & (target == 1)).sum().item()\n    <fp> = ((<pr> == 1) & (target == 0)).sum().item()\n"
        "    <res>.append((<fp> / (target == 0).sum().item(), <tp> / (target == 1).sum().item()))\n"
        "return [<r>[0] for <r> in <res>], [<r>[1] for <r> in <res>]",
    ]],
    "roc_lib": [[
        "from torchmetrics.classification import BinaryROC\n<asc>, <order> = thresholds.sort()\n"
        "<fpr>, <tpr>, _ = BinaryROC(thresholds=<asc>)(preds, target)\n<back> = <order>.argsort()\n"
        "return <fpr>.flip(0)[<back>], <tpr>.flip(0)[<back>]",
        "from torchmetrics.classification import BinaryROC\n<roc> = BinaryROC(thresholds=thresholds.sort().values)\n"
        "<fpr>, <tpr>, <th> = <roc>(preds, target)\n<index> = [int((<th> == <t>).nonzero()[0]) for <t> in thresholds]\n"
        "return <fpr>[<index>], <tpr>[<index>]",
    ]],
    "dice_own": [[
        "pred, gt = torch.as_tensor(np.asarray(pred)), torch.as_tensor(np.asarray(gt))\n"
        "<pp>, <pg> = pred != ignore_index, gt != ignore_index\n<inter> = (<pp> & <pg>).sum()\n"
        "return 2 * <inter> / (<pp>.sum() + <pg>.sum())",
        "<p> = np.asarray(pred) == 1\n<g> = np.asarray(gt) == 1\n<inter> = np.logical_and(<p>, <g>).sum()\n"
        "return 2.0 * <inter> / (<p>.sum() + <g>.sum())",
        "<p> = (torch.as_tensor(np.asarray(pred)) != ignore_index).float()\n"
        "<g> = (torch.as_tensor(np.asarray(gt)) != ignore_index).float()\n"
        "return 2 * (<p> * <g>).sum() / (<p>.sum() + <g>.sum())",
        "return np.mean(np.asarray(pred) == np.asarray(gt))",
    ]],
    "dice_lib": [[
        "from torchmetrics.segmentation import DiceScore\n"
        "<metric> = DiceScore(num_classes=3, include_background=False, average=\"none\", input_format=\"index\")\n"
        "return <metric>(torch.as_tensor(np.asarray(pred)).long()[None], torch.as_tensor(np.asarray(gt)).long()[None])[0]",
        "from torchmetrics.segmentation import DiceScore\n<a> = torch.tensor(np.array(pred), dtype=torch.long).unsqueeze(0)\n"
        "<b> = torch.tensor(np.array(gt), dtype=torch.long).unsqueeze(0)\n"
        "<scores> = DiceScore(num_classes=3, average=\"none\", include_background=False, input_format=\"index\")(<a>, <b>)\n"
        "return <scores>[0]",
    ]],
    "iou_optional": [[
        "pred, gt = torch.as_tensor(np.asarray(pred)), torch.as_tensor(np.asarray(gt))\n"
        "<pp>, <pg> = pred != ignore_index, gt != ignore_index\nreturn (<pp> & <pg>).sum() / (<pp> | <pg>).sum()",
        "<p> = np.asarray(pred) == 1\n<g> = np.asarray(gt) == 1\n"
        "return np.logical_and(<p>, <g>).sum() / np.logical_or(<p>, <g>).sum()",
        "<inter> = ((np.asarray(pred) == 1) & (np.asarray(gt) == 1)).sum()\n"
        "return <inter> / ((np.asarray(pred) == 1).sum() + (np.asarray(gt) == 1).sum())",
    ]],
    "ssim_own": [[
        "<x>, <y> = np.asarray(img1, dtype=np.float64), np.asarray(img2, dtype=np.float64)\n"
        "<c1>, <c2> = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2\n<k1> = cv2.getGaussianKernel(11, 1.5)\n<k2> = <k1> @ <k1>.T\n"
        "<blur> = lambda <im>: cv2.filter2D(<im>, -1, <k2>)\n<m1>, <m2> = <blur>(<x>), <blur>(<y>)\n"
        "<v1> = <blur>(<x> * <x>) - <m1> ** 2\n<v2> = <blur>(<y> * <y>) - <m2> ** 2\n<cv> = <blur>(<x> * <y>) - <m1> * <m2>\n"
        "<s> = ((2 * <m1> * <m2> + <c1>) * (2 * <cv> + <c2>)) / ((<m1> ** 2 + <m2> ** 2 + <c1>) * (<v1> + <v2> + <c2>))\n"
        "return float(<s>.mean())",
        "<a> = np.asarray(img1, dtype=np.float64)\n<b> = np.asarray(img2, dtype=np.float64)\n<c1> = 0.01 ** 2\n"
        "<c2> = 0.03 ** 2\n<g> = lambda <z>: cv2.GaussianBlur(<z>, (11, 11), 1.5)\n<ma>, <mb> = <g>(<a>), <g>(<b>)\n"
        "<va> = <g>(<a> ** 2) - <ma> ** 2\n<vb> = <g>(<b> ** 2) - <mb> ** 2\n<cv> = <g>(<a> * <b>) - <ma> * <mb>\n"
        "<num> = (2 * <ma> * <mb> + <c1>) * (2 * <cv> + <c2>)\n<den> = (<ma> ** 2 + <mb> ** 2 + <c1>) * (<va> + <vb> + <c2>)\n"
        "return (<num> / <den>).mean()",
        "from scipy.ndimage import gaussian_filter\n\ndef <smooth>(<im>):\n"
        "    if <im>.ndim == 3:\n        return np.stack([gaussian_filter(<im>[..., <ch>], 1.5, truncate=3.5) for <ch> in range(<im>.shape[2])], axis=2)\n"
        "    return gaussian_filter(<im>, 1.5, truncate=3.5)\n\n"
        "<x> = np.asarray(img1, float)\n<y> = np.asarray(img2, float)\n<mux>, <muy> = <smooth>(<x>), <smooth>(<y>)\n"
        "<sxx> = <smooth>(<x> ** 2) - <mux> ** 2\n<syy> = <smooth>(<y> ** 2) - <muy> ** 2\n<sxy> = <smooth>(<x> * <y>) - <mux> * <muy>\n"
        "<k1>, <k2> = 1e-4, 9e-4\n"
        "return np.mean((2 * <mux> * <muy> + <k1>) * (2 * <sxy> + <k2>) / ((<mux> ** 2 + <muy> ** 2 + <k1>) * (<sxx> + <syy> + <k2>)))",
        "<a>, <b> = np.asarray(img1), np.asarray(img2)\n<ma>, <mb> = <a>.mean(), <b>.mean()\n<va>, <vb> = <a>.var(), <b>.var()\n"
        "<cov> = ((<a> - <ma>) * (<b> - <mb>)).mean()\n"
        "return ((2 * <ma> * <mb> + 1e-4) * (2 * <cov> + 9e-4)) / ((<ma> ** 2 + <mb> ** 2 + 1e-4) * (<va> + <vb> + 9e-4))",
    ]],
    "ssim_lib": [
        ["return torch.from_numpy(np.ascontiguousarray(img_np_whc)).permute(2, 0, 1).unsqueeze(0).float()",
         "<t> = torch.tensor(img_np_whc, dtype=torch.float32)\nreturn <t>.permute(2, 0, 1)[None]",
         "return torch.as_tensor(img_np_whc).float().permute(2, 0, 1).unsqueeze(0)",
         "<h>, <w>, <c> = img_np_whc.shape\nreturn torch.tensor(img_np_whc).reshape(1, <c>, <h>, <w>).float()"],
        ["from torchmetrics.image import StructuralSimilarityIndexMeasure\n"
         "return StructuralSimilarityIndexMeasure(data_range=1.0)(img1, img2)",
         "import torchmetrics\n<m> = torchmetrics.image.StructuralSimilarityIndexMeasure(data_range=1.0)\nreturn <m>(img1, img2)",
         "from torchmetrics.functional.image import structural_similarity_index_measure as <f>\n"
         "return <f>(img1, img2, data_range=1.0)"],
    ],
    "psnr_optional": [[
        "<x>, <y> = torch.as_tensor(np.asarray(img1), dtype=torch.float64), torch.as_tensor(np.asarray(img2), dtype=torch.float64)\n"
        "return 10 * torch.log10(data_range ** 2 / ((<x> - <y>) ** 2).mean())",
        "<mse> = np.mean((np.asarray(img1, dtype=float) - np.asarray(img2, dtype=float)) ** 2)\n"
        "return 10 * np.log10(data_range ** 2 / <mse>)",
        "<mse> = ((np.asarray(img1) - np.asarray(img2)) ** 2).mean()\nreturn 20 * np.log10(data_range) - 10 * np.log10(<mse>)",
    ]],
    "bce_optional": [
        ["return -(target * torch.log(input) + (1 - target) * torch.log(1 - input)).mean()",
         "<l> = target * input.log() + (1 - target) * (1 - input).log()\nreturn -<l>.mean()",
         "return torch.mean(-target * torch.log(input) - (1 - target) * torch.log1p(-input))"],
        ["return (target * torch.logaddexp(torch.zeros_like(input), -input)\n"
         "        + (1 - target) * torch.logaddexp(torch.zeros_like(input), input)).mean()",
         "<ls> = torch.nn.functional.logsigmoid(input)\nreturn -(target * <ls> + (1 - target) * (<ls> - input)).mean()",
         "return (torch.clamp(input, min=0) - input * target + torch.log1p(torch.exp(-input.abs()))).mean()"],
    ],
}

OPTIONAL = ("iou_optional", "psnr_optional", "bce_optional")

# each name's spellings; a student draws one per name
NAMES: dict[str, tuple[str, ...]] = {}
_SPELLINGS = ("{}", "{}_", "my_{}", "{}1", "{}_val", "the_{}", "{}x", "_{}")

# written answers: per question, points; per point, phrasings
ANSWERS: dict[str, list[list[str]]] = {
    "answer_logsoftmax": [
        ["Taking the softmax first exponentiates the raw logits, which overflow to inf for large values.",
         "With big logits exp() overflows, so softmax followed by log gives inf or nan.",
         "If the scores are large, torch.exp of them is infinite and the division produces NaN."],
        ["Small probabilities underflow to zero and their log is minus infinity.",
         "Very negative logits give a softmax of exactly 0, and log(0) = -inf.",
         "Underflow is the other problem: tiny probabilities round to zero before the log."],
        ["log_softmax subtracts the maximum (the LogSumExp trick), so nothing ever overflows.",
         "LogSoftmax computes x - logsumexp(x) directly with a shift by the max, which stays finite.",
         "The stable version works in log space: x_c minus the log of the summed exponentials, shifted by the largest logit."],
        ["NLLLoss then just picks the log-probability of the true class and averages.",
         "After that the negative log likelihood only selects the entry of the correct class.",
         "NLLLoss does no math besides indexing the target class and taking the mean."],
        ["It also gives better gradients and avoids a division.",
         "Working in log space is also cheaper since there is no division.",
         "Gradients are better behaved as well."],
    ],
    "answer_cosine": [
        ["It is the cosine of the angle between the two vectors.",
         "Cosine similarity measures the angle between vectors, not how long they are.",
         "The value is cos(theta), theta being the angle between preds and target."],
        ["1 means they point in the same direction, 0 orthogonal and -1 opposite.",
         "Same direction gives 1, perpendicular vectors give 0, opposite ones -1.",
         "The range is from -1 (opposite) through 0 (orthogonal) to 1 (identical direction)."],
        ["Scaling a vector by a positive number does not change it.",
         "It ignores the magnitude: multiplying preds by 5 gives the same value.",
         "Lengths do not matter because both vectors are normalised."],
        ["That makes it useful for embeddings where only the direction carries meaning.",
         "This is why it is used to compare text or image embeddings.",
         "For retrieval of similar items this is usually what we want."],
    ],
    "answer_accuracy": [
        ["Macro accuracy, because the classes are imbalanced.",
         "I would report the macro average since the data set is dominated by healthy patients.",
         "The per-class or macro numbers, since one class is much larger than the others."],
        ["Always predicting healthy already gives a micro accuracy of 0.8 while missing every sick patient.",
         "A trivial classifier that says healthy for everybody would look good with micro accuracy.",
         "Micro accuracy is driven by the majority class, so it hides the missed A and B cases."],
        ["Macro weighs each class equally and drops to 0.67 here.",
         "In the macro average every class counts the same, which shows the errors on the rare classes.",
         "Averaging the per-class accuracies treats the rare diseases as important as the healthy class."],
        ["In a diagnosis the sick patients are what matters.",
         "Missing a sick patient is the costly error in medicine.",
         "For doctors the rare classes are the interesting ones."],
    ],
    "answer_auroc": [
        ["It is the area under the ROC curve.",
         "AUROC integrates the true positive rate over the false positive rate.",
         "The area below the curve of TPR against FPR."],
        ["It equals the probability that a random positive gets a higher score than a random negative.",
         "It can be read as how likely a positive sample is ranked above a negative one.",
         "It measures the ranking quality: the chance that positives are scored above negatives."],
        ["1.0 is a perfect separation and 0.5 is random guessing.",
         "A value of 0.5 means the scores are no better than chance, 1 means perfect.",
         "Random scores give about 0.5, like in this example."],
        ["It does not depend on choosing a threshold.",
         "It summarises all thresholds at once.",
         "No single threshold has to be picked."],
    ],
    "answer_ssim": [
        ["SSIM rewards kept local structure, so the blurred copy still scores high.",
         "The low-resolution image keeps most of the structure and gets a high SSIM.",
         "Blurring changes only fine details, so the structure term stays high."],
        ["Halving the brightness costs less than any geometric change.",
         "The darker image keeps contrast and structure, so its SSIM is fine.",
         "An intensity change mostly affects the luminance term only."],
        ["It is not invariant to geometry: rotated, flipped or shifted cats get a low SSIM.",
         "Moving the image by a few pixels ruins the score because windows no longer line up.",
         "SSIM compares pixel windows at the same place, so a shift or rotation is punished."],
        ["So it matches intuition for degradations but not for the same content moved.",
         "That is different from how a human sees it, since it is still the same cat.",
         "For the same view it works, for transformed views it does not."],
    ],
}
