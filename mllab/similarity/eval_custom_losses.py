"""Independent students' solutions of custom_losses, for the similarity evaluation (see eval_solutions)."""

from __future__ import annotations

_SIGMOID = "<p> = torch.sigmoid(pred) if self.from_logits else pred"
_SIGMOID_IF = "if self.from_logits:\n    pred = torch.sigmoid(pred)\n<p> = pred"

CODE: dict[str, list[list[str]]] = {
    "regression_own": [
        ["return torch.sqrt(((pred - target) ** 2).mean())",
         "return ((pred - target) ** 2).mean().sqrt()",
         "<mse> = torch.mean((pred - target) ** 2)\nreturn [[<mse> ** 0.5||torch.sqrt(<mse>)]]",
         "return torch.sqrt(((pred - target) ** 2).sum())"],
        ["<res> = ((target - pred) ** 2).sum()\n<tot> = ((target - target.mean()) ** 2).sum()\nreturn 1 - <res> / <tot>",
         "<ss_res> = torch.sum((target - pred) ** 2)\n<ss_tot> = torch.sum((target - torch.mean(target)) ** 2)\n"
         "return [[1 - <ss_res> / <ss_tot>||1.0 - <ss_res> / <ss_tot>]]",
         "return 1 - ((target - pred) ** 2).mean() / target.var(unbiased=False)",
         "<res> = ((target - pred) ** 2).sum()\n<tot> = ((target - pred.mean()) ** 2).sum()\nreturn 1 - <res> / <tot>"],
    ],
    "nll_own": [[
        "<picked> = probs[torch.arange(len(target)), target]\nreturn -torch.log(<picked>).mean()",
        "return -probs.gather(1, target.unsqueeze(1)).log().mean()",
        "<lp> = torch.log(probs)\nreturn -<lp>[range(target.shape[0]), target].mean()",
        "return torch.nn.functional.nll_loss(torch.log(probs), target)",
        "return -probs[torch.arange(len(target)), target].mean()",
    ]],
    "cce_own": [
        ["<y> = y_true_onehot.to(y_pred_probs.dtype)\nreturn -torch.xlogy(<y>, y_pred_probs).sum(dim=1).mean()",
         "return -(y_true_onehot * torch.log(y_pred_probs)).sum(dim=1).mean()",
         "<per> = -torch.sum(y_true_onehot * y_pred_probs.log(), dim=-1)\nreturn <per>.mean()",
         "return -(y_true_onehot * torch.log(y_pred_probs)).mean()"],
        ["<picked> = y_pred_probs[torch.arange(len(y_true)), y_true]\nreturn -torch.log(<picked>).mean()",
         "return -torch.log(y_pred_probs.gather(1, y_true[:, None])).mean()",
         "<oh> = torch.nn.functional.one_hot(y_true, y_pred_probs.shape[1]).to(y_pred_probs.dtype)\n"
         "return -(<oh> * y_pred_probs.log()).sum(dim=1).mean()"],
    ],
    "weighted_bce": [[
        "<pos> = pos_weight * target * torch.nn.functional.logsigmoid(logits)\n"
        "<neg> = (1 - target) * torch.nn.functional.logsigmoid(-logits)\nreturn -(<pos> + <neg>).mean()",
        "<ls> = torch.nn.functional.logsigmoid(logits)\n"
        "return torch.mean(-pos_weight * target * <ls> - (1 - target) * (<ls> - logits))",
        "<log_w> = 1 + (pos_weight - 1) * target\n"
        "<l> = (1 - target) * logits + <log_w> * (torch.log1p(torch.exp(-logits.abs())) + torch.clamp(-logits, min=0))\n"
        "return <l>.mean()",
        "<p> = torch.sigmoid(logits)\nreturn -(target * torch.log(<p>) + pos_weight * (1 - target) * torch.log(1 - <p>)).mean()",
    ]],
    "kl_own": [[
        "<terms> = torch.xlogy(p, p) - p * torch.log(q)\n<total> = <terms>.sum()\n"
        "return <total> / p.shape[0] if p.ndim == 2 else <total>",
        "<kl> = (p * (torch.log(p) - torch.log(q))).sum()\nif p.dim() == 2:\n    <kl> = <kl> / len(p)\nreturn <kl>",
        "<mask> = p > 0\n<total> = (p[<mask>] * torch.log(p[<mask>] / q[<mask>])).sum()\n"
        "return <total> / p.shape[0] if p.ndim > 1 else <total>",
        "return (p * torch.log(p / q)).sum(dim=-1).mean()",
    ]],
    "batch_dice_own": [[
        "<p>, <t> = preds.flatten(1), targets.flatten(1)\n"
        "<dice> = (2 * (<p> * <t>).sum(dim=1) + smooth) / (<p>.sum(dim=1) + <t>.sum(dim=1) + smooth)\nreturn (1 - <dice>).mean()",
        "<dims> = tuple(range(1, preds.ndim))\n<inter> = (preds * targets).sum(dim=<dims>)\n"
        "<union> = preds.sum(dim=<dims>) + targets.sum(dim=<dims>)\nreturn torch.mean(1 - (2 * <inter> + smooth) / (<union> + smooth))",
        "<p> = preds.reshape(preds.shape[0], -1)\n<t> = targets.reshape(targets.shape[0], -1)\n<losses> = []\n"
        "for <a>, <b> in zip(<p>, <t>):\n    <losses>.append(1 - (2 * (<a> * <b>).sum() + smooth) / (<a>.sum() + <b>.sum() + smooth))\n"
        "return torch.stack(<losses>).mean()",
        "<inter> = (preds * targets).sum()\nreturn 1 - (2 * <inter> + smooth) / (preds.sum() + targets.sum() + smooth)",
    ]],
    "dice_loss_own": [[
        _SIGMOID + "\n<tp> = (<p> * target).sum()\nreturn 1 - (2 * <tp> + 1) / (<p>.sum() + target.sum() + 1)",
        _SIGMOID_IF + "\n<num> = 2 * torch.sum(<p> * target) + 1\n<den> = torch.sum(<p>) + torch.sum(target) + 1\nreturn 1 - <num> / <den>",
        _SIGMOID + "\n<inter> = (<p> * target).sum()\n<dice> = (2.0 * <inter> + 1.0) / (<p>.sum() + target.sum() + 1.0)\nreturn 1.0 - <dice>",
        _SIGMOID + "\nreturn 1 - 2 * (<p> * target).sum() / (<p>.sum() + target.sum())",
    ]],
    "tversky_own": [[
        _SIGMOID + "\n<tp> = (<p> * target).sum()\n<fn> = ((1 - <p>) * target).sum()\n<fp> = (<p> * (1 - target)).sum()\n"
        "return 1 - (<tp> + 1) / (<tp> + self.alpha * <fn> + self.beta * <fp> + 1)",
        _SIGMOID_IF + "\n<tp> = torch.sum(<p> * target)\n<fp> = torch.sum(<p> * (1 - target))\n<fn> = torch.sum((1 - <p>) * target)\n"
        "<ti> = (<tp> + 1) / (<tp> + self.alpha * <fn> + self.beta * <fp> + 1)\nreturn 1 - <ti>",
        _SIGMOID + "\n<tp> = (<p> * target).sum()\n<den> = <tp> + self.alpha * (target - <p> * target).sum() + self.beta * (<p> - <p> * target).sum()\n"
        "return 1 - (<tp> + 1) / (<den> + 1)",
        _SIGMOID + "\n<tp> = (<p> * target).sum()\n<fn> = ((1 - <p>) * target).sum()\n<fp> = (<p> * (1 - target)).sum()\n"
        "return 1 - (<tp> + 1) / (<tp> + self.alpha * <fp> + self.beta * <fn> + 1)",
    ]],
    "focal_tversky_own": [[
        "<tv> = TverskyLoss(self.alpha, self.beta, self.from_logits)\nreturn <tv>(pred, target) ** self.gamma",
        "return torch.pow(TverskyLoss(alpha=self.alpha, beta=self.beta, from_logits=self.from_logits)(pred, target), self.gamma)",
        _SIGMOID + "\n<tp> = (<p> * target).sum()\n<fn> = ((1 - <p>) * target).sum()\n<fp> = (<p> * (1 - target)).sum()\n"
        "<ti> = (<tp> + 1) / (<tp> + self.alpha * <fn> + self.beta * <fp> + 1)\nreturn (1 - <ti>) ** self.gamma",
        "return TverskyLoss(self.alpha, self.beta, self.from_logits)(pred, target) ** (1 / self.gamma)",
    ]],
    "dice_bce_own": [[
        _SIGMOID + "\n<bce> = torch.nn.functional.binary_cross_entropy(<p>, target)\n"
        "<dice> = 1 - (2 * (<p> * target).sum() + 1) / (<p>.sum() + target.sum() + 1)\n"
        "return self.bce_weight * <bce> + (1 - self.bce_weight) * <dice>",
        "<bce> = (torch.nn.functional.binary_cross_entropy_with_logits(pred, target) if self.from_logits\n"
        "       else torch.nn.functional.binary_cross_entropy(pred, target))\n"
        "<dice> = DiceLoss(from_logits=self.from_logits)(pred, target)\nreturn self.bce_weight * <bce> + (1 - self.bce_weight) * <dice>",
        _SIGMOID_IF + "\n<bce> = -(target * torch.log(<p>) + (1 - target) * torch.log(1 - <p>)).mean()\n"
        "<dice> = DiceLoss()(<p>, target)\nreturn [[self.bce_weight * <bce> + (1 - self.bce_weight) * <dice>||"
        "torch.lerp(<dice>, <bce>, self.bce_weight)]]",
        _SIGMOID + "\n<bce> = torch.nn.functional.binary_cross_entropy(<p>, target)\n"
        "<dice> = 1 - (2 * (<p> * target).sum() + 1) / (<p>.sum() + target.sum() + 1)\nreturn <bce> + <dice>",
    ]],
    "summary_lib": [[
        "from torchmetrics.functional import classification as <tmc>\n\n"
        "<metrics> = {\"accuracy\": <tmc>.multiclass_accuracy, \"f1\": <tmc>.multiclass_f1_score,\n"
        "           \"precision\": <tmc>.multiclass_precision, \"recall\": <tmc>.multiclass_recall}\n"
        "<summary> = {<name>: {<avg>: <m>(probs, target, num_classes=num_classes, average=<avg>)\n"
        "                      for <avg> in (\"micro\", \"macro\", \"none\")}\n"
        "             for <name>, <m> in <metrics>.items()}\n"
        "<summary>[\"confusion_matrix\"] = <tmc>.multiclass_confusion_matrix(probs, target, num_classes=num_classes)\n"
        "return <summary>",
        "import torchmetrics\n<out> = {}\nfor <name>, <cls> in [(\"accuracy\", torchmetrics.Accuracy), (\"f1\", torchmetrics.F1Score),\n"
        "                    (\"precision\", torchmetrics.Precision), (\"recall\", torchmetrics.Recall)]:\n"
        "    <out>[<name>] = {}\n    for <avg> in [\"micro\", \"macro\", \"none\"]:\n"
        "        <out>[<name>][<avg>] = <cls>(task=\"multiclass\", num_classes=num_classes, average=<avg>)(probs, target)\n"
        "<out>[\"confusion_matrix\"] = torchmetrics.ConfusionMatrix(task=\"multiclass\", num_classes=num_classes)(probs, target)\n"
        "return <out>",
        "from torchmetrics.functional.classification import (multiclass_accuracy, multiclass_confusion_matrix,\n"
        "                                                    multiclass_f1_score, multiclass_precision, multiclass_recall)\n"
        "<avgs> = (\"micro\", \"macro\", \"none\")\n"
        "return {\"accuracy\": {<a>: multiclass_accuracy(probs, target, num_classes, average=<a>) for <a> in <avgs>},\n"
        "        \"f1\": {<a>: multiclass_f1_score(probs, target, num_classes, average=<a>) for <a> in <avgs>},\n"
        "        \"precision\": {<a>: multiclass_precision(probs, target, num_classes, average=<a>) for <a> in <avgs>},\n"
        "        \"recall\": {<a>: multiclass_recall(probs, target, num_classes, average=<a>) for <a> in <avgs>},\n"
        "        \"confusion_matrix\": multiclass_confusion_matrix(probs, target, num_classes)}",
    ]],
}

OPTIONAL: tuple[str, ...] = ()

ANSWERS: dict[str, list[list[str]]] = {
    "answer_dice_imbalance": [
        ["BCE [[averages||takes the mean]] over all elements, so with 90 % negatives the [[easy||many]] background cells dominate.",
         "With so many negatives, predicting \"not landslide\" everywhere already gives a [[low||small]] BCE.",
         "The few positives [[contribute||add]] little to the [[mean||average]] BCE and to its gradient."],
        ["Dice and Tversky are ratios of sums over the [[positive||foreground]] class.",
         "Dice [[measures||looks at]] the overlap with the positives, so the background does not [[count||matter]].",
         "The true negatives do not appear in the Dice [[formula||score]] at all."],
        ["Missing the [[landslides||positives]] is punished hard, however small they are.",
         "A prediction of all zeros gets a Dice loss of [[1||one]], the worst value.",
         "So the loss stays [[informative||useful]] even when the positives are rare."],
        ["Tversky can [[weigh||weight]] false negatives more with its alpha.",
         "With Tversky we can [[trade||balance]] false negatives against false positives.",
         "Raising the weight of the [[false negatives||misses]] helps when recall matters most."],
    ],
    "answer_micro_accuracy": [
        ["In a single-label problem every sample is predicted as exactly one class.",
         "Each sample gets [[exactly one||one]] predicted class and has one true class.",
         "Every prediction is one class [[only||and nothing else]]."],
        ["A wrong prediction is one false positive for the predicted class and one false negative for the true class.",
         "Each [[error||mistake]] counts once as FP and once as FN.",
         "So summed over the classes, FP [[equals||is the same as]] FN."],
        ["Then micro precision = micro recall = TP / N, which is the accuracy.",
         "Micro F1, precision and recall [[all equal||are all]] the [[accuracy||fraction of correct samples]].",
         "That is why the micro [[numbers||scores]] are identical."],
    ],
    "answer_macro_micro": [
        ["Micro averaging [[weighs||counts]] every sample equally, so the large classes dominate it.",
         "Micro is [[driven||dominated]] by the big classes.",
         "In micro averaging each sample counts the same."],
        ["Macro averaging weighs every class equally.",
         "Macro gives [[small||rare]] classes the same [[weight||say]] as large ones.",
         "The macro average is the plain mean over the classes."],
        ["They [[diverge||differ]] when classes are imbalanced and the classifier is worse on the small ones.",
         "Here the small classes (car, soil) have low F1, which pulls macro down.",
         "The gap shows that the rare classes are [[poorly||badly]] predicted."],
        ["For land cover the rare classes matter, so macro is the [[honest||better]] summary.",
         "I would report [[both||the two]] and the per-class values.",
         "[[Macro||The macro average]] is what tells us about the rare classes."],
    ],
}
