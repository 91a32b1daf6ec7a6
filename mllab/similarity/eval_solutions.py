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
        "<m> = [[input.max(dim=1, keepdim=True).values||input.amax(dim=1, keepdim=True)||torch.max(input, 1, keepdim=True)[0]]]\n<s> = input - <m>\n"
        "<lp> = <s> - torch.log(torch.exp(<s>).sum(dim=1, keepdim=True))\n"
        "return -<lp>[torch.arange(input.shape[0]), target].mean()",
        "<lp> = torch.log_softmax(input, dim=1)\nreturn -<lp>[range(len(target)), target].mean()",
        "<oh> = torch.nn.functional.one_hot(target, input.shape[1])\n"
        "return -(<oh> * (input - torch.logsumexp(input, dim=1, keepdim=True))).sum(dim=1).mean()",
        "<p> = torch.exp(input) / torch.exp(input).sum(dim=1, keepdim=True)\n"
        "return -torch.log(<p>[torch.arange(len(target)), target]).mean()",
        "<tot> = [[0.0||0||torch.tensor(0.0)]]\nfor <i> in range([[input.shape[0]||len(input)||len(target)]]):\n    <row> = input[<i>]\n"
        "    <tot> [[+=||-=]] [[torch.logsumexp(<row>, dim=0) - <row>[target[<i>]]||<row>[target[<i>]] - torch.logsumexp(<row>, dim=0)]]\nreturn [[<tot> / input.shape[0]||<tot> / len(target)]]",
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
        "if average == \"micro\":\n    return [[(preds == target).float().mean()||(preds == target).sum() / len(target)||torch.mean((preds == target).double())]]\n<scores> = []\n"
        "for <c> in range(num_classes):\n    <mask> = target == <c>\n"
        "    <scores>.append([[(preds[<mask>] == <c>).float().mean()||(preds[<mask>] == <c>).sum() / <mask>.sum()||((preds == <c>) & <mask>).sum() / <mask>.sum()]])\n<per> = torch.stack(<scores>)\n"
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
        "<pos> = [[preds[None, :] >= thresholds[:, None]||preds.unsqueeze(0) >= thresholds.unsqueeze(1)||thresholds[:, None] <= preds[None, :]]]\n"
        "<act> = [[target.bool()[None, :]||(target == 1).unsqueeze(0)||target[None, :] > 0]]\n"
        "<tpr> = (<pos> & <act>).sum(dim=1) / <act>.sum()\n<fpr> = (<pos> & ~<act>).sum(dim=1) / (~<act>).sum()\n"
        "return <fpr>, <tpr>",
        "<fprs>, <tprs> = [], []\n<np_> = [[(target == 1).sum()||target.sum()||int(target.sum())]]\n<nn_> = [[(target == 0).sum()||len(target) - <np_>||(1 - target).sum()]]\n"
        "for <t> in [[thresholds||thresholds.tolist()||range(len(thresholds))]]:\n    <hit> = preds >= <t>\n    <tprs>.append((<hit> & (target == 1)).sum() / <np_>)\n"
        "    <fprs>.append((<hit> & (target == 0)).sum() / <nn_>)\nreturn [[torch.stack(<fprs>), torch.stack(<tprs>)||torch.tensor(<fprs>), torch.tensor(<tprs>)||<fprs>, <tprs>]]",
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
        "<c1>, <c2> = [[(0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2||0.01 ** 2, 0.03 ** 2||1e-4, 9e-4]]\n<k1> = cv2.getGaussianKernel(11, 1.5)\n"
        "<k2> = [[<k1> @ <k1>.T||np.outer(<k1>, <k1>)||<k1> * <k1>.T]]\n"
        "[[<blur> = lambda <im>: cv2.filter2D(<im>, [[-1||cv2.CV_64F]], <k2>)||def <blur>(<im>):\n    return cv2.filter2D(<im>, [[-1||cv2.CV_64F]], <k2>)\n]]\n"
        "<m1>, <m2> = <blur>(<x>), <blur>(<y>)\n"
        "<v1> = <blur>([[<x> * <x>||<x> ** 2]]) - [[<m1> ** 2||<m1> * <m1>]]\n<v2> = <blur>([[<y> * <y>||<y> ** 2]]) - [[<m2> ** 2||<m2> * <m2>]]\n"
        "<cv> = <blur>(<x> * <y>) - <m1> * <m2>\n"
        "[[<s> = ((2 * <m1> * <m2> + <c1>) * (2 * <cv> + <c2>)) / ((<m1> ** 2 + <m2> ** 2 + <c1>) * (<v1> + <v2> + <c2>))||"
        "<num> = (2 * <m1> * <m2> + <c1>) * (2 * <cv> + <c2>)\n<den> = (<m1> ** 2 + <m2> ** 2 + <c1>) * (<v1> + <v2> + <c2>)\n<s> = <num> / <den>]]\n"
        "return [[float(<s>.mean())||<s>.mean()||np.mean(<s>)]]",
        "<a> = [[np.asarray(img1, dtype=np.float64)||img1.astype(np.float64)||np.float64(img1)]]\n<b> = [[np.asarray(img2, dtype=np.float64)||img2.astype(np.float64)||np.float64(img2)]]\n"
        "<c1> = [[0.01 ** 2||1e-4||(0.01 * 1) ** 2]]\n<c2> = [[0.03 ** 2||9e-4||(0.03 * 1) ** 2]]\n"
        "<g> = lambda <z>: cv2.GaussianBlur(<z>, [[(11, 11), 1.5||(11, 11), sigmaX=1.5||ksize=(11, 11), sigmaX=1.5, sigmaY=1.5]])\n<ma>, <mb> = <g>(<a>), <g>(<b>)\n"
        "<va> = <g>(<a> ** 2) - <ma> ** 2\n<vb> = <g>(<b> ** 2) - <mb> ** 2\n<cv> = <g>(<a> * <b>) - <ma> * <mb>\n"
        "<num> = [[(2 * <ma> * <mb> + <c1>) * (2 * <cv> + <c2>)||(2 * <cv> + <c2>) * (2 * <ma> * <mb> + <c1>)]]\n"
        "<den> = [[(<ma> ** 2 + <mb> ** 2 + <c1>) * (<va> + <vb> + <c2>)||(<va> + <vb> + <c2>) * (<ma> ** 2 + <mb> ** 2 + <c1>)]]\n"
        "return [[(<num> / <den>).mean()||float(np.mean(<num> / <den>))]]",
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

# how a student spells a name of the templates (``<d>`` may become ``d``, ``d_``, ``my_d``, …): one per name
SPELLINGS = ("{}", "{}_", "my_{}", "{}1", "{}_val", "the_{}", "{}x", "_{}")

# written answers: per question, points; per point, phrasings (with choices, as for the code)
ANSWERS: dict[str, list[list[str]]] = {
    "answer_logsoftmax": [
        ["[[Taking||Computing||Doing]] the softmax first exponentiates the [[raw logits||logits||scores]], which "
         "[[overflow to inf||become infinite||blow up]] for [[large||big||huge]] values.",
         "With [[big||large]] logits [[exp()||the exponential||torch.exp]] overflows, so [[softmax followed by log||"
         "log of softmax||taking the log afterwards]] gives [[inf or nan||nan||infinite values]].",
         "If the [[scores||logits||inputs]] are [[large||very large||big]], [[torch.exp of them||their exponential]] "
         "is [[infinite||inf]] and the division [[produces||gives||returns]] NaN."],
        ["[[Small||Tiny||Very small]] probabilities underflow to [[zero||0]] and their log is [[minus infinity||-inf]].",
         "Very negative logits [[give||lead to||result in]] a softmax of exactly 0, and log(0) = -inf.",
         "Underflow is [[the other problem||also a problem||another issue]]: [[tiny||small]] probabilities "
         "[[round to||become]] zero before the log."],
        ["[[log_softmax||LogSoftmax||The log-softmax]] subtracts the [[maximum||max||largest logit]] "
         "([[the LogSumExp trick||logsumexp trick||a shift]]), so nothing [[ever overflows||overflows||can overflow]].",
         "[[LogSoftmax||log_softmax]] computes x - logsumexp(x) [[directly||in one step]] with a shift by the max, "
         "which [[stays finite||is stable||never overflows]].",
         "The stable version [[works||stays]] in log space: [[x_c minus the log of the summed exponentials||"
         "the logit minus logsumexp]], shifted by the [[largest||biggest]] logit."],
        ["[[NLLLoss||The NLL loss]] then [[just||only||simply]] picks the log-probability of the [[true||correct||target]] "
         "class and [[averages||takes the mean]].",
         "After that the negative log likelihood only [[selects||takes||indexes]] the entry of the [[correct||true]] class.",
         "NLLLoss does no math besides [[indexing||selecting]] the target class and [[taking the mean||averaging]]."],
        ["It also gives [[better||nicer||more stable]] gradients and avoids a division.",
         "Working in log space is also [[cheaper||faster]] since there is no division.",
         "[[Gradients||The gradients]] are better behaved as well."],
    ],
    "answer_cosine": [
        ["It is the cosine of the angle between the two [[vectors||rows]].",
         "Cosine similarity [[measures||compares]] the angle between vectors, not [[how long they are||their length]].",
         "The value is cos(theta), theta being the angle between [[preds and target||the two vectors]]."],
        ["1 means they point in the same direction, 0 [[orthogonal||perpendicular]] and -1 [[opposite||opposite directions]].",
         "Same direction gives 1, [[perpendicular||orthogonal]] vectors give 0, opposite ones -1.",
         "The range is from -1 ([[opposite||pointing away]]) through 0 ([[orthogonal||at a right angle]]) to 1 "
         "([[identical direction||same direction]])."],
        ["Scaling a vector by a positive [[number||factor]] does not change it.",
         "It ignores the [[magnitude||length||norm]]: multiplying preds by [[5||two||a constant]] gives the same value.",
         "[[Lengths||Norms]] do not matter because both vectors are [[normalised||divided by their norm]]."],
        ["That makes it useful for embeddings where only the direction [[carries meaning||matters]].",
         "This is why it is used to compare [[text or image||word||sentence]] embeddings.",
         "For [[retrieval of similar items||search||recommendation]] this is usually what we want."],
    ],
    "answer_accuracy": [
        ["Macro accuracy, because the classes are [[imbalanced||unbalanced||not balanced]].",
         "I would report the macro average since the [[data set||dataset||data]] is dominated by healthy patients.",
         "The per-class or macro numbers, since one class is much [[larger||bigger]] than the others."],
        ["Always predicting healthy already gives a micro accuracy of 0.8 while missing every sick patient.",
         "A [[trivial||dumb||constant]] classifier that says healthy for everybody would look good with micro accuracy.",
         "Micro accuracy is [[driven||dominated]] by the majority class, so it hides the missed A and B cases."],
        ["Macro [[weighs||weights||treats]] each class equally and drops to 0.67 here.",
         "In the macro average every class counts the same, which shows the errors on the [[rare||small]] classes.",
         "Averaging the per-class accuracies treats the rare [[diseases||classes]] as important as the healthy class."],
        ["In a diagnosis the sick patients are what matters.",
         "Missing a sick patient is the [[costly||expensive||worst]] error in medicine.",
         "For doctors the rare classes are the [[interesting||important]] ones."],
    ],
    "answer_auroc": [
        ["[[It is||AUROC is||This is]] the area under the ROC curve.",
         "AUROC integrates the [[true positive rate||TPR||recall]] over the [[false positive rate||FPR]].",
         "The area below the [[curve of TPR against FPR||ROC curve||TPR-FPR curve]]."],
        ["It [[equals||is]] the probability that a [[random||randomly chosen]] positive gets a higher score than a "
         "[[random||randomly chosen]] negative.",
         "It can be read as how likely a positive [[sample||example]] is ranked above a negative one.",
         "It measures the ranking quality: the chance that [[positives||positive samples]] are scored above "
         "[[negatives||negative ones]]."],
        ["1.0 is a perfect separation and 0.5 is [[random guessing||chance||a coin flip]].",
         "A value of 0.5 means the scores are no better than chance, 1 means [[perfect||perfect ranking]].",
         "Random scores give about 0.5, like in this [[example||exercise||case]]."],
        ["It does not depend on [[choosing||picking]] a threshold.",
         "It summarises all thresholds at once.",
         "No single threshold has to be [[picked||chosen||fixed]]."],
    ],
    "answer_ssim": [
        ["SSIM rewards [[kept||preserved]] local structure, so the blurred copy still scores high.",
         "The low-resolution image keeps most of the structure and gets a high SSIM.",
         "Blurring changes only fine details, so the structure term stays high."],
        ["Halving the brightness costs less than any geometric change.",
         "The darker image keeps contrast and structure, so its SSIM is [[fine||still good||high]].",
         "An intensity change mostly affects the luminance term only."],
        ["It is not invariant to geometry: rotated, flipped or shifted [[cats||images]] get a low SSIM.",
         "Moving the image by a few pixels ruins the score because [[windows||the windows]] no longer line up.",
         "SSIM compares pixel windows at the same place, so a shift or rotation is [[punished||penalised]]."],
        ["So it matches intuition for degradations but not for the same content moved.",
         "That is different from how a human sees it, since it is still the same cat.",
         "For the same view it works, for transformed views it does not."],
    ],
}
